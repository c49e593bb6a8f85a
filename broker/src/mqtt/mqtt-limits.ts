/**
 * What one MQTT client may cost the hub: packet size (checked from the header, before the body
 * is buffered), connections per IP address per second, topic levels, inbound QoS 2 messages in
 * flight and packets queued before CONNECT is processed (the last three enforced by aedes).
 * A client over a limit loses its connection, never the hub. Every refusal and every malformed
 * packet is counted per reason and logged at most once per client (address) per reason and minute.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { Now } from '@mieruka/protocol';
import { ConnectionRate } from './connection-rate.js';
import { guardPacketSize } from './packet-size-guard.js';
import { isLoopbackAddress, remoteAddressOf } from './remote-address.js';

export type MqttLimitsConfig = {
  /** Largest MQTT packet after its fixed header (topic + payload + a few bytes). */
  maxPayloadBytes: number;
  maxTopicLevels: number;
  connectionsPerIpPerSecond: number;
  /** Inbound QoS 2 messages awaiting PUBREL per client (aedes maxInflightInbound). */
  maxInflight: number;
  /** Packets a client may send before its CONNECT is processed (aedes queueLimit). */
  queueLimit: number;
};

export type MqttRefusalReason = 'too-large' | 'malformed' | 'connection-rate' | 'topic-levels' | 'inflight' | 'queue-limit' | 'protocol' | 'socket' | 'tls-handshake';

export type MqttLimitsOptions = {
  limits: MqttLimitsConfig;
  logger: Logger;
  now?: Now;
  /** Loopback is the hub's own host (its agents, the demo): not rate limited unless this is true. */
  rateLimitLoopback?: boolean;
  logIntervalMs?: number;
};


/** aedes reports every client problem as an Error; its message says which limit or rule it was. */
function classify(err: Error): MqttRefusalReason {
  const m = err.message;
  // ws closes a WebSocket message over its maxPayload (set from the same limit) before buffering it.
  if ((err as NodeJS.ErrnoException).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'too-large';
  if (/too many levels/i.test(m)) return 'topic-levels';
  if (/maxInflightInbound/.test(m)) return 'inflight';
  if (/queue limit/i.test(m)) return 'queue-limit';
  if ((err as NodeJS.ErrnoException).code !== undefined || /closed|ended|destroyed|timeout/i.test(m)) return 'socket';
  // mqtt-packet's parser errors: 'Not supported', 'Invalid header flag bits', 'Malformed Packet', …
  if (/not supported|invalid|malformed|header|length|protocol|unknown/i.test(m)) return 'malformed';
  return 'protocol';
}

export class MqttLimits {
  private readonly options: MqttLimitsOptions;
  private readonly logger: Logger;
  private readonly now: Now;
  private readonly rate: ConnectionRate;
  private readonly refused = new Map<MqttRefusalReason, number>();
  private readonly lastLog = new Map<string, number>();

  constructor(options: MqttLimitsOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-limits' });
    this.now = options.now ?? Date.now;
    this.rate = new ConnectionRate(options.limits.connectionsPerIpPerSecond);
  }

  /** What aedes enforces itself. */
  aedesOptions(): { maxTopicLevels: number; maxInflightInbound: number; queueLimit: number } {
    const { maxTopicLevels, maxInflight, queueLimit } = this.options.limits;
    return { maxTopicLevels, maxInflightInbound: maxInflight, queueLimit };
  }

  /** Called for every new connection before aedes sees it: false when it was refused (and destroyed). */
  admit(conn: Duplex, req?: IncomingMessage): boolean {
    const ip = remoteAddressOf(req, conn) ?? 'unknown';
    if ((this.options.rateLimitLoopback || !isLoopbackAddress(ip)) && !this.rate.allow(ip, this.now())) {
      this.refuse('connection-rate', ip, `more than ${this.options.limits.connectionsPerIpPerSecond} connections per second`);
      conn.destroy();
      return false;
    }
    guardPacketSize(conn, this.options.limits.maxPayloadBytes, (problem) =>
      this.refuse(problem, ip, problem === 'too-large' ? `packet larger than ${this.options.limits.maxPayloadBytes} bytes` : 'bad remaining length'),
    );
    return true;
  }

  /** aedes 'clientError' / 'connectionError'. */
  onClientError(client: Client | null | undefined, err: Error): void {
    const reason = classify(err);
    const c = client as unknown as { id?: string | null; conn?: Duplex; req?: IncomingMessage } | null | undefined;
    const who = c?.id || (c?.conn ? (remoteAddressOf(c.req, c.conn) ?? 'unknown') : 'unknown');
    this.refuse(reason, who, err.message, reason === 'socket' ? 'debug' : 'warn');
  }

  /** A TLS handshake that failed (plain MQTT on the TLS port, an untrusted client certificate, a timeout). */
  onTlsError(address: string, err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.refuse('tls-handshake', address, code ? `${code}: ${err.message}` : err.message);
  }

  /** Refusals and client errors per reason since start. */
  stats(): Record<string, number> {
    return Object.fromEntries(this.refused);
  }

  private refuse(reason: MqttRefusalReason, who: string, detail: string, level: 'warn' | 'debug' = 'warn'): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    const key = `${reason} ${who}`;
    const now = this.now();
    const interval = this.options.logIntervalMs ?? 60_000;
    const last = this.lastLog.get(key);
    if (last !== undefined && now - last < interval) return;
    if (this.lastLog.size >= 10_000) this.lastLog.clear(); // a flood of addresses must not grow memory
    this.lastLog.set(key, now);
    this.logger[level]({ reason, client: who.slice(0, 100), detail: detail.slice(0, 300) }, `MQTT client refused (${reason})`);
  }
}
