/**
 * MQTT 3.1.1 rules on CONNECT that aedes does not enforce itself.
 *
 * [MQTT-3.1.3-8]: a zero-byte client id with CleanSession 0 must be answered with CONNACK
 * 0x02 (identifier rejected) and the connection closed. aedes assigns such a client a random
 * id and a persistent session nobody can ever resume. aedes only answers with a chosen return
 * code from `authenticate`, which does not see the CONNECT packet, so `preConnect` marks the
 * client and the `authenticate` wrapper refuses it (before any credentials are looked at) and
 * reports it to `onRefused` so the refusal is counted with the others.
 *
 * [MQTT-3.3.5-1], [MQTT-3.8.4-6]: `preConnect` also makes the client's deliveries use the QoS
 * granted to its subscriptions (granted-qos.ts), before any subscription is made, and
 * writes the deliveries of one event-loop iteration to the socket at once (delivery-writes.ts),
 * and holds them until the CONNACK is out ([MQTT-3.2.0-1], connack-first.ts).
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { holdUntilConnack } from './connack-first.js';
import { coalesceDeliveryWrites } from './delivery-writes.js';
import { deliverAtGrantedQos } from './granted-qos.js';

type PreConnect = NonNullable<AedesOptions['preConnect']>;
type Authenticate = NonNullable<AedesOptions['authenticate']>;

/** CONNACK return code 0x02. */
const IDENTIFIER_REJECTED = 2;

/** aedes' own defaults: everybody in. */
const allowAll: Authenticate = (_client, _username, _password, done) => done(null, true);
const admitAll: PreConnect = (_client, _packet, done) => done(null, true);

export type ConnectRulesInner = {
  /** The access control's hooks (accounts, ACL); they run after the rules. */
  preConnect?: PreConnect;
  authenticate?: Authenticate;
  /** Told of each connection the rules refuse, to count it. */
  onRefused?: (clientId: string, reason: 'empty-client-id') => void;
};

/** `preConnect` and `authenticate` for aedes, wrapping the access control's own. */
export function connectRules(inner: ConnectRulesInner = {}): { preConnect: PreConnect; authenticate: Authenticate } {
  const rejected = new WeakSet<Client>();
  const preConnect = inner.preConnect ?? admitAll;
  const authenticate = inner.authenticate ?? allowAll;
  return {
    preConnect(client, packet, done) {
      deliverAtGrantedQos(client);
      coalesceDeliveryWrites(client);
      holdUntilConnack(client);
      if (packet.clientId === '' && packet.clean === false) rejected.add(client);
      preConnect(client, packet, done);
    },
    authenticate(client, username, password, done) {
      if (rejected.has(client)) {
        inner.onRefused?.('', 'empty-client-id');
        const err = Object.assign(new Error('a zero-byte client id needs CleanSession 1'), { returnCode: IDENTIFIER_REJECTED });
        done(err as AuthenticateError, false);
        return;
      }
      authenticate(client, username, password, done);
    },
  };
}
