/**
 * Who gets into the hub's MQTT broker and what they may do: the aedes hooks (preConnect,
 * authenticate, authorizePublish, authorizeSubscribe, authorizeForward) over the device
 * accounts, `hub.mqtt.anonymous`, the built-in rules (acl.ts) and an optional ACL file.
 *
 * Every refusal is counted per reason (HubStats.mqttRefused) and logged at most once per
 * client id and minute.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Aedes, AedesOptions, AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { MqttRefusals, Now } from '@mieruka/protocol';
import type { DeviceAccount } from '../auth/device-accounts.js';
import { isLoopbackAddress } from './remote-address.js';
import { isAgentClientIdOf, mayPublish, mayRead, maySubscribe, principalName, type MqttPrincipal } from './acl.js';

/** What the accounts and ACL refuse (the limits count theirs in mqtt-limits.ts). */
export type AccessRefusals = Omit<MqttRefusals, 'limits'>;

export type AnonymousMode = 'loopback' | 'off' | 'on';

/** What the hooks need of the account store (DeviceAccounts). */
export type MqttAccountsPort = {
  verify(name: string, password: string): Promise<DeviceAccount | null>;
  /** As stored now (at CONNECT). */
  readStamp(name: string): Promise<string | null>;
  /** As last read (asked at every message, synchronously). */
  stamp(name: string): string | null;
  nodeNames(): string[];
};

/** Extra rules (acl-file.ts); they can only narrow what the built-in rules allow. */
export type MqttAclRules = {
  allows(username: string | null, clientId: string, topic: string, access: 'read' | 'write'): boolean;
  allowsSubscribe(username: string | null, clientId: string, filter: string): boolean;
};

/** A dashboard user admitted to MQTT over WebSocket by the front end. */
export type MqttWebUser = { username: string; role: 'admin' | 'viewer'; isCurrent?: () => boolean };

export type MqttConnectionInfo = { remoteAddress: string | undefined; webUser?: MqttWebUser };

export type MqttAccessOptions = {
  accounts: MqttAccountsPort | null;
  anonymous: AnonymousMode;
  acl?: MqttAclRules | null;
  logger: Logger;
  now: Now;
};

type Session = { principal: MqttPrincipal; stamp: string | null; webUser?: MqttWebUser };
type Pending = { clientId: string; clean: boolean; will: { topic: string; retain: boolean } | null; info: MqttConnectionInfo };

const LOG_EVERY_MS = 60_000;
const OWNERS_LIMIT = 10_000;

function refusal(returnCode: 2 | 4 | 5, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export class MqttAccessControl {
  private readonly options: MqttAccessOptions;
  private readonly logger: Logger;
  private readonly connections = new WeakMap<object, MqttConnectionInfo>();
  private readonly pending = new WeakMap<Client, Pending>();
  private readonly sessions = new WeakMap<Client, Session>();
  /** Which account (null: anonymous) last held each client id: nobody else takes its session over. */
  private readonly owners = new Map<string, string | null>();
  /** Publishes refused by authorizePublish: acknowledged, then not routed (see `attach`). */
  private readonly dropped = new WeakSet<object>();
  private readonly lastLog = new Map<string, number>();
  private readonly refused: AccessRefusals = { connect: {}, publish: {}, subscribe: {} };
  private aedes: Aedes | null = null;

  constructor(options: MqttAccessOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-auth' });
  }

  /** Remembers where a connection comes from (and the dashboard user of a WebSocket). */
  register(conn: Duplex, info: MqttConnectionInfo): void {
    this.connections.set(conn, info);
  }

  /** True for a PUBLISH this access control refused (acknowledged, then not routed). */
  isRefused(packet: object): boolean {
    return this.dropped.has(packet);
  }

  stats(): AccessRefusals {
    return { connect: { ...this.refused.connect }, publish: { ...this.refused.publish }, subscribe: { ...this.refused.subscribe } };
  }

  /** The aedes handlers. */
  hooks(): Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>> {
    return {
      preConnect: (client, packet, done) => {
        const info = this.connections.get(client.conn) ?? { remoteAddress: (client.conn as { remoteAddress?: string }).remoteAddress };
        const will = packet.will ? { topic: packet.will.topic, retain: packet.will.retain === true } : null;
        this.pending.set(client, { clientId: packet.clientId, clean: packet.clean !== false, will, info });
        done(null, true);
      },
      authenticate: (client, username, password, done) => {
        this.admit(client, username, password).then(
          () => done(null, true),
          (err: Error & { returnCode?: number }) => done(err as never, false),
        );
      },
      // A refused publish is marked and dropped by `attach`, not failed: see there.
      authorizePublish: (client, packet, done) => {
        this.checkPublish(client, packet);
        done(null);
      },
      authorizeSubscribe: (client, sub, done) => done(null, this.checkSubscribe(client, sub) ? sub : null),
      authorizeForward: (client, packet) => (this.checkForward(client, packet) ? packet : null),
    };
  }

  /**
   * Takes over aedes.publish so a refused PUBLISH is not routed. MQTT 3.1.1 has no negative
   * PUBACK: aedes acknowledges a QoS 1/2 publish before routing it, and disconnects the client
   * when authorizePublish fails. A refused publish is instead acknowledged and dropped here,
   * so a misconfigured node keeps its connection (and its status) and the refusal is counted.
   */
  attach(aedes: Aedes): void {
    this.aedes = aedes;
    const route = aedes.publish.bind(aedes) as unknown as (packet: PublishPacket, client: Client | null, done: (err?: Error) => void) => void;
    (aedes as unknown as { publish: typeof route }).publish = (packet, client, done) => {
      if (typeof client === 'function') return route(packet, client, done);
      if (this.dropped.has(packet)) return done?.();
      return route(packet, client, done);
    };
  }

  private async admit(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    const pending = this.pending.get(client);
    this.pending.delete(client);
    if (!pending) throw this.refuse(client.id, 'connect', 'internal', refusal(5, 'not authorized'));
    const { clientId, info } = pending;
    // [MQTT-3.1.3-8] (zero-length client id with CleanSession 0) is refused before this, in connect-rules.ts.

    // Read before the password is checked: a change made meanwhile ends the session at its first message.
    const stamp = username !== undefined && !info.webUser ? ((await this.options.accounts?.readStamp(username)) ?? null) : null;
    const principal = await this.principalFor(username, password, info);
    if (principal === 'bad-credentials') throw this.refuse(clientId, 'connect', 'bad-credentials', refusal(4, 'bad user name or password'));
    if (principal === 'anonymous') throw this.refuse(clientId, 'connect', 'anonymous', refusal(5, 'not authorized'));

    const name = principalName(principal);
    if (clientId.length > 0) {
      const reason = this.clientIdRefusal(clientId, principal);
      if (reason) throw this.refuse(clientId, 'connect', reason, reason === 'client-id-not-own' ? refusal(2, 'identifier rejected') : refusal(5, 'not authorized'));
    }
    if (pending.will && !this.allowedPublish(principal, clientId, pending.will.topic, pending.will.retain)) {
      throw this.refuse(clientId, 'connect', 'will-topic', refusal(5, 'not authorized'));
    }
    if (clientId.length > 0) {
      if (this.owners.size >= OWNERS_LIMIT && !this.owners.has(clientId)) this.owners.delete(this.owners.keys().next().value as string);
      this.owners.set(clientId, name);
    }
    this.sessions.set(client, { principal, stamp, ...(info.webUser ? { webUser: info.webUser } : {}) });
  }

  private async principalFor(
    username: string | undefined,
    password: Buffer | undefined,
    info: MqttConnectionInfo,
  ): Promise<MqttPrincipal | 'bad-credentials' | 'anonymous'> {
    // A dashboard session admitted by the front end: its role decides, CONNECT credentials do not.
    if (info.webUser) return { kind: 'dashboard', username: info.webUser.username, role: info.webUser.role };
    if (username !== undefined) {
      const account = this.options.accounts ? await this.options.accounts.verify(username, password?.toString('utf8') ?? '') : null;
      if (!account) return 'bad-credentials';
      return account.kind === 'node' ? { kind: 'node', username: account.name, site: account.site, node: account.node } : { kind: 'observer', username: account.name };
    }
    const loopback = isLoopbackAddress(info.remoteAddress);
    const mode = this.options.anonymous;
    if (mode === 'on' || (mode === 'loopback' && loopback)) return { kind: 'anonymous', loopback };
    return 'anonymous';
  }

  /** Client ids are bound to accounts: a node's agents use theirs, nobody takes over another's session. */
  private clientIdRefusal(clientId: string, principal: MqttPrincipal): string | null {
    // A node's agent ids are its own, even if anonymous agents used them before the account existed.
    if (principal.kind === 'node') return isAgentClientIdOf(clientId, principal.site, principal.node) ? null : 'client-id-not-own';
    for (const node of this.options.accounts?.nodeNames() ?? []) {
      const [site, id] = node.split('/');
      if (site !== undefined && id !== undefined && isAgentClientIdOf(clientId, site, id)) return 'client-id-reserved';
    }
    // An id an account holds (now, or for its persistent session) is nobody else's; one that
    // anonymous clients used may be taken by an account.
    const name = principalName(principal);
    const live = (this.aedes as unknown as { clients?: Record<string, Client> } | null)?.clients?.[clientId];
    const liveSession = live ? this.sessions.get(live) : undefined;
    for (const owner of [this.owners.get(clientId), liveSession ? principalName(liveSession.principal) : undefined]) {
      if (owner !== undefined && owner !== null && owner !== name) return 'client-id-taken';
    }
    return null;
  }

  private allowedPublish(principal: MqttPrincipal, clientId: string, topic: string, retain: boolean): boolean {
    const acl = this.options.acl;
    return mayPublish(principal, topic, retain) && (!acl || acl.allows(principalName(principal), clientId, topic, 'write'));
  }

  /** The session of a client, or null when its account or dashboard session changed since it connected. */
  private current(client: Client): Session | null {
    const session = this.sessions.get(client);
    if (!session) return null;
    const { principal } = session;
    let valid = true;
    if (principal.kind === 'node' || principal.kind === 'observer') {
      try {
        valid = (this.options.accounts?.stamp(principal.username) ?? null) === session.stamp;
      } catch (err) {
        this.logger.error({ err }, 'cannot check the MQTT account; client disconnected');
        valid = false;
      }
    } else if (session.webUser?.isCurrent) valid = session.webUser.isCurrent();
    if (valid) return session;
    this.sessions.delete(client);
    setImmediate(() => client.close());
    return null;
  }

  private checkPublish(client: Client | null, packet: PublishPacket): boolean {
    // A will (an old one stored by persistence comes without its client) was checked at
    // CONNECT; it goes out even when the account changed since, so the hub sees the node go.
    if (!client || (client as { will?: unknown }).will === packet) return true;
    const session = this.current(client);
    if (!session) return this.refusePublish(client, packet, 'account-changed');
    if (this.allowedPublish(session.principal, client.id, packet.topic, packet.retain)) return true;
    return this.refusePublish(client, packet, 'acl');
  }

  private refusePublish(client: Client, packet: PublishPacket, reason: string): false {
    this.dropped.add(packet);
    this.refuse(client.id, 'publish', reason, null, packet.topic);
    return false;
  }

  private checkSubscribe(client: Client, sub: Subscription): boolean {
    const session = this.current(client);
    if (!session) {
      this.refuse(client.id, 'subscribe', 'account-changed', null, sub.topic);
      return false;
    }
    const { principal } = session;
    const acl = this.options.acl;
    if (maySubscribe(principal, sub.topic) && (!acl || acl.allowsSubscribe(principalName(principal), client.id, sub.topic))) return true;
    this.refuse(client.id, 'subscribe', 'acl', null, sub.topic);
    return false;
  }

  private checkForward(client: Client, packet: AedesPublishPacket): boolean {
    // Checked per message too: a removed account or ended session stops reading at once.
    const session = this.current(client);
    if (!session) return false;
    const acl = this.options.acl;
    return mayRead(session.principal, packet.topic) && (!acl || acl.allows(principalName(session.principal), client.id, packet.topic, 'read'));
  }

  /** Counts (and logs once per client and minute) a connection refused by the broker's own rules. */
  countConnectRefusal(clientId: string, reason: string): void {
    this.refuse(clientId, 'connect', reason, null);
  }

  private refuse<E>(clientId: string, what: keyof AccessRefusals, reason: string, err: E, topic?: string): E {
    const counts = this.refused[what];
    counts[reason] = (counts[reason] ?? 0) + 1;
    const now = this.options.now();
    const key = `${clientId}\u0000${what}`;
    const last = this.lastLog.get(key);
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      if (this.lastLog.size >= OWNERS_LIMIT) this.lastLog.clear();
      this.lastLog.set(key, now);
      this.logger.warn({ clientId: clientId.slice(0, 128), reason, ...(topic ? { topic: topic.slice(0, 256) } : {}) }, `MQTT ${what} refused`);
    }
    return err;
  }
}
