/**
 * mqtt-packet (the encoder under aedes) pre-builds a 2-byte Buffer for each of the 65 536
 * packet ids on its first write and keeps them for good: about 6 MB of heap (measured with a
 * heap snapshot of the hub), a third of an idle hub's. Encoding the id of the rare packet that
 * carries one into a fresh 2-byte buffer costs next to nothing at a hub's message rates.
 */
import { createRequire } from 'node:module';

type Generate = { cacheNumbers: boolean };

/** Turns the cache off in the mqtt-packet copy aedes itself uses. Returns whether it was found. */
export function disablePacketNumberCache(): boolean {
  try {
    const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
    const mqttPacket = fromAedes('mqtt-packet') as { writeToStream?: Generate };
    if (!mqttPacket.writeToStream || !('cacheNumbers' in mqttPacket.writeToStream)) return false;
    mqttPacket.writeToStream.cacheNumbers = false;
    return true;
  } catch {
    return false;
  }
}
