/**
 * The hub's built-in MQTT rules, as pure functions of who is asking and the topic.
 *
 * They govern `mieruka/v1/…` (readings and commands) and `$`-topics (`$SYS`); every other
 * topic is usable by any connected client, as on any broker (plants run Node-RED flows on
 * it). An ACL file (acl-file.ts) can narrow these, never widen them.
 *
 * - node account `<site>/<node>`: publishes only under `mieruka/v1/<site>/<node>/…`, never its
 *   `cmd/…` or what the hub publishes about it (HUB_KINDS); reads only its own `cmd/…` (all the
 *   agents subscribe to, see MqttNodeLink).
 * - observer account: reads `mieruka/v1/#`, publishes nothing there.
 * - anonymous (only admitted per `hub.mqtt.anonymous`): reads like an observer and publishes
 *   readings (every kind but `cmd/…` and HUB_KINDS); `$SYS` only over loopback.
 * - Home Assistant discovery configs of the hub (`<prefix>/sensor/mieruka/<object>/config`,
 *   any prefix) are the hub's alone: every client may read them, none may publish there.
 * - dashboard session over /mqtt: reads like an observer; an admin may also send commands
 *   (not retained: persistent settings are the hub's own retained publishes), never readings.
 * - commands come from the hub itself (MqttBroker.publish is not a client and is not checked).
 */
import { HUB_KINDS, TOPIC_ROOT } from '@mieruka/protocol';

export type MqttPrincipal =
  | { kind: 'node'; username: string; site: string; node: string }
  | { kind: 'observer'; username: string }
  | { kind: 'dashboard'; username: string; role: 'admin' | 'viewer' }
  | { kind: 'anonymous'; loopback: boolean };

const ROOT_LEVELS = TOPIC_ROOT.split('/');

function isV1(levels: readonly string[]): boolean {
  return levels.length > ROOT_LEVELS.length && ROOT_LEVELS.every((level, i) => levels[i] === level);
}

function isCommand(levels: readonly string[]): boolean {
  return isV1(levels) && levels[4] === 'cmd';
}

/** Topics under `mieruka/v1/` only the hub publishes: commands and what it says about a node. */
function isHubOnly(levels: readonly string[]): boolean {
  return isCommand(levels) || (isV1(levels) && levels.length === 5 && (HUB_KINDS as readonly string[]).includes(levels[4] ?? ''));
}

/** The hub's Home Assistant discovery configs, whatever the prefix (home-assistant/discovery-configs.ts). */
function isHubDiscoveryConfig(levels: readonly string[]): boolean {
  const n = levels.length;
  return n >= 5 && levels[n - 4] === 'sensor' && levels[n - 3] === 'mieruka' && levels[n - 1] === 'config';
}

/** The username a principal has in logs and ACL files (null for anonymous). */
export function principalName(p: MqttPrincipal): string | null {
  return p.kind === 'anonymous' ? null : p.username;
}

/** May this client publish to `topic` (a topic name, no wildcards)? */
export function mayPublish(p: MqttPrincipal, topic: string, retain = false): boolean {
  // $SYS is the broker's own (aedes' default refuses it too); other $-topics likewise.
  if (topic.startsWith('$')) return false;
  const levels = topic.split('/');
  if (!isV1(levels)) return !isHubDiscoveryConfig(levels);
  switch (p.kind) {
    case 'node':
      return levels.length >= 5 && levels[2] === p.site && levels[3] === p.node && !isHubOnly(levels);
    case 'anonymous':
      return !isHubOnly(levels);
    case 'dashboard':
      return p.role === 'admin' && isCommand(levels) && !retain;
    case 'observer':
      return false;
  }
}

/** May this client receive a message published to `topic`? */
export function mayRead(p: MqttPrincipal, topic: string): boolean {
  if (topic.startsWith('$')) return p.kind !== 'anonymous' || p.loopback;
  const levels = topic.split('/');
  if (!isV1(levels)) return true;
  if (p.kind === 'node') return levels[2] === p.site && levels[3] === p.node && levels[4] === 'cmd';
  return true;
}

/** True when some topic matches both filters (`+` one level, `#` the rest, MQTT 3.1.1 §4.7). */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '#' || q === '#') return true;
    if (p === undefined || q === undefined) return p === q;
    if (p !== '+' && q !== '+' && p !== q) return false;
  }
}

/**
 * May this client subscribe to `filter`? Refused (SUBACK 0x80) when everything the filter can
 * match is unreadable; a broad filter such as `#` is granted and each message it would carry
 * is checked again by `mayRead` on delivery (authorizeForward).
 */
export function maySubscribe(p: MqttPrincipal, filter: string): boolean {
  if (filter.startsWith('$')) return mayRead(p, filter);
  if (p.kind !== 'node') return true;
  const levels = filter.split('/');
  const insideV1 = levels.length > ROOT_LEVELS.length && ROOT_LEVELS.every((level, i) => levels[i] === level);
  return !insideV1 || filtersOverlap(filter, `${TOPIC_ROOT}/${p.site}/${p.node}/cmd/#`);
}

/** The agents' default client ids, `mieruka-<agent>-<site>-<node>` (see MqttNodeLink). */
export function isAgentClientIdOf(clientId: string, site: string, node: string): boolean {
  const id = clientId.toLowerCase();
  const suffix = `-${site}-${node}`;
  if (!id.startsWith('mieruka-') || !id.endsWith(suffix)) return false;
  const agent = id.slice('mieruka-'.length, id.length - suffix.length);
  return /^[a-z0-9][a-z0-9-]*$/.test(agent);
}
