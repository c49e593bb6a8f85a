/**
 * The user name and password of an MQTT URL (`mqtts://factory%2Fmill-1:secret@hub:8883`),
 * taken out of it: MQTT.js would otherwise let the URL's password win over one given as an
 * option (a password file must win), and percent-escapes ("/" of a node account) are undone.
 */
import { MierukaError, redactUrl } from '@mieruka/protocol';

export type MqttUrlParts = { url: string; username?: string; password?: string };

function decode(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new MierukaError('CONFIG_INVALID', `MQTT URL ${redactUrl(url)}: bad %-escape in the user name or password`);
  }
}

export function splitMqttUrl(url: string): MqttUrlParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MierukaError('CONFIG_INVALID', `MQTT URL ${redactUrl(url)} is not a URL`);
  }
  if (parsed.username === '' && parsed.password === '') return { url };
  const username = decode(parsed.username, url);
  const password = parsed.password === '' ? undefined : decode(parsed.password, url);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), ...(username !== '' ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}
