/**
 * Check 6, broker: an agent's connection (bridge.mqttUrl, password file, CA and client
 * certificate, read as the agents read them) reaches the broker and is accepted. Refused
 * credentials, an untrusted certificate and an unreachable broker get different messages.
 */
import { redactUrl } from '@mieruka/protocol';
import { fail, ok, reason, skip, text, type Check, type CheckOutcome, type ConfiguredContext } from './check.js';

const AUTH_REFUSED = new Set([4, 5, 134, 135]);
const isTlsTrust = (code: unknown, message: string) => (typeof code === 'string' && /CERT|ALTNAME|HOSTNAME_MISMATCH|LEAF_SIGNATURE|ISSUER|UNTRUSTED|CHAIN/.test(code)) || /certificate|TLS not authorized/i.test(message);

/** Whether this config runs an agent that talks to the broker. */
function usesBroker(ctx: ConfiguredContext): boolean {
  const c = ctx.config;
  return Object.keys(c.machines).length > 0 || Object.keys(c.stations).length > 0 || c.bridge.serialPort !== undefined || c.bridge.mqttPasswordFile !== undefined || c.bridge.mqttUrl !== 'mqtt://127.0.0.1:1883';
}

export async function probeBroker(ctx: ConfiguredContext, timeoutMs: number): Promise<CheckOutcome> {
  const { mqttLinkConnection, splitMqttUrl } = await import('@mieruka/edge');
  const shown = redactUrl(ctx.config.bridge.mqttUrl);
  let connection;
  let parts;
  try {
    connection = await mqttLinkConnection(ctx.config.bridge, ctx.cwd);
    parts = splitMqttUrl(connection.url);
  } catch (err) {
    return fail(text(`broker settings: ${reason(err)}`, `ブローカーの設定: ${reason(err)}`), text('correct bridge.mqttUrl / bridge.mqttPasswordFile / the TLS files (docs/config.md)', 'bridge.mqttUrl・bridge.mqttPasswordFile・TLS ファイルを直してください（docs/config.md）'));
  }
  const username = parts.username;
  const password = connection.password ?? parts.password;
  // A node account may only use its agents' client ids (mieruka-<agent>-<site>-<node>).
  const node = username?.split('/');
  const clientId = node?.length === 2 ? `mieruka-doctor-${node[0]}-${node[1]}` : undefined;
  const { connect } = await import('mqtt');
  const client = connect(parts.url, {
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    clean: true,
    protocolVersion: 4,
    ...(clientId ? { clientId } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(connection.ca ? { ca: connection.ca } : {}),
    ...(connection.cert && connection.key ? { cert: connection.cert, key: connection.key } : {}),
  });
  const who = username === undefined ? text('without an account', 'アカウントなし') : text(`as ${username}`, `${username} として`);
  try {
    const result = await new Promise<{ connected: true } | { connected: false; err: Error & { code?: unknown } }>((resolve) => {
      const timer = setTimeout(() => resolve({ connected: false, err: Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }) }), timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve({ connected: true });
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        resolve({ connected: false, err });
      });
      client.once('close', () => {
        clearTimeout(timer);
        resolve({ connected: false, err: Object.assign(new Error('connection closed before the broker answered'), { code: 'ECONNRESET' }) });
      });
    });
    if (result.connected) return ok(text(`${shown}: connected ${who.en}`, `${shown}: 接続成功（${who.ja}）`));
    const { err } = result;
    if (typeof err.code === 'number' && AUTH_REFUSED.has(err.code)) {
      return fail(
        text(`${shown}: the broker refused the credentials ${who.en} (${err.message})`, `${shown}: ブローカーが認証を拒否しました（${who.ja}、${err.message}）`),
        text('check the user name in bridge.mqttUrl and the password file; on the hub, `mieruka device list` and `mieruka device passwd <site>/<node>`', 'bridge.mqttUrl のユーザー名とパスワードファイルを確認してください。ハブで `mieruka device list`、`mieruka device passwd <site>/<node>` を実行できます'),
      );
    }
    if (isTlsTrust(err.code, err.message)) {
      return fail(
        text(`${shown}: TLS failed: ${err.message}`, `${shown}: TLS エラー: ${err.message}`),
        text('check bridge.mqttCaFile is the CA that signed the hub certificate, the host name in the URL matches it, and the client certificate (docs/security.md)', 'bridge.mqttCaFile がハブ証明書の CA か、URL のホスト名が証明書と一致するか、クライアント証明書を確認してください（docs/security.md）'),
      );
    }
    return fail(
      text(`${shown}: cannot reach the broker (${err.message})`, `${shown}: ブローカーに接続できません（${err.message}）`),
      text('check the hub is running (systemctl status mieruka-hub), the host and port in bridge.mqttUrl, and the network/firewall between them', 'ハブが動いているか（systemctl status mieruka-hub）、bridge.mqttUrl のホストとポート、途中のネットワークやファイアウォールを確認してください'),
    );
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

export const brokerCheck: Check = {
  id: 'broker',
  title: text('MQTT broker (hub)', 'MQTT ブローカー（ハブ）'),
  timeoutMs: () => 15_000,
  async run(ctx) {
    if (!usesBroker(ctx)) return skip(text('no agent configured (machines, stations, bridge.serialPort, bridge.mqttUrl)', 'エージェントの設定がありません（machines, stations, bridge.serialPort, bridge.mqttUrl）'));
    return probeBroker(ctx, 10_000);
  },
};
