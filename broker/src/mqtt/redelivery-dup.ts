/**
 * [MQTT-3.3.1-1]: a PUBLISH the broker re-sends (a persistent session resumed while the
 * message was still unacknowledged) must carry DUP 1. aedes re-sends from the persistence's
 * outgoing queue with the DUP flag as stored, i.e. 0. A queued message that was already sent
 * has its packet id (assigned when it went out); one queued while the client was offline has
 * none and is a first delivery. PUBREL stays as it is (its flags are fixed, [MQTT-3.6.1-1]).
 */
import { Transform, type Readable } from 'node:stream';

type OutgoingPacket = { cmd?: string; messageId?: number; dup?: boolean };
type WithOutgoingStream = { outgoingStream(client: unknown): Readable };

/** Wraps `persistence.outgoingStream` in place so re-sent PUBLISH packets carry DUP 1. */
export function markRedeliveries<P extends object>(persistence: P): P {
  const target = persistence as unknown as WithOutgoingStream;
  const original = target.outgoingStream.bind(persistence);
  target.outgoingStream = (client: unknown): Readable => {
    const source = original(client);
    const marked = new Transform({
      objectMode: true,
      transform(packet: OutgoingPacket, _enc, done) {
        if ((packet.cmd ?? 'publish') === 'publish' && typeof packet.messageId === 'number') packet.dup = true;
        done(null, packet);
      },
    });
    source.on('error', (err) => marked.destroy(err));
    return source.pipe(marked);
  };
  return persistence;
}
