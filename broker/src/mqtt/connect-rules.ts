/**
 * MQTT 3.1.1 rules on CONNECT that aedes does not enforce itself.
 *
 * [MQTT-3.1.3-8]: a zero-byte client id with CleanSession 0 must be answered with CONNACK
 * 0x02 (identifier rejected) and the connection closed. aedes assigns such a client a random
 * id and a persistent session nobody can ever resume. aedes only answers with a chosen return
 * code from `authenticate`, which does not see the CONNECT packet, so `preConnect` marks the
 * client and the `authenticate` wrapper refuses it (before any credentials are looked at).
 *
 * [MQTT-3.3.5-1], [MQTT-3.8.4-6]: `preConnect` also makes the client's deliveries use the QoS
 * granted to its subscriptions (granted-qos.ts), before any subscription is made.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { deliverAtGrantedQos } from './granted-qos.js';

type PreConnect = NonNullable<AedesOptions['preConnect']>;
type Authenticate = NonNullable<AedesOptions['authenticate']>;

/** CONNACK return code 0x02. */
const IDENTIFIER_REJECTED = 2;

/** aedes' own default: everybody in. */
const allowAll: Authenticate = (_client, _username, _password, done) => done(null, true);

/** `preConnect` and `authenticate` for aedes; `authenticate` (accounts, if any) runs after the rules. */
export function connectRules(authenticate: Authenticate = allowAll): { preConnect: PreConnect; authenticate: Authenticate } {
  const rejected = new WeakSet<Client>();
  return {
    preConnect(client, packet, done) {
      deliverAtGrantedQos(client);
      if (packet.clientId === '' && packet.clean === false) rejected.add(client);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      if (rejected.has(client)) {
        const err = Object.assign(new Error('a zero-byte client id needs CleanSession 1'), { returnCode: IDENTIFIER_REJECTED });
        done(err as AuthenticateError, false);
        return;
      }
      authenticate(client, username, password, done);
    },
  };
}
