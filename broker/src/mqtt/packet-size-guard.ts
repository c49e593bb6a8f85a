/**
 * Refuses an MQTT packet whose remaining length (MQTT 3.1.1 §2.2.3: everything after the fixed
 * header — variable header and payload) exceeds a limit, from its header alone, before its body
 * is buffered: aedes (mqtt-packet) would otherwise collect a 64 MB packet in memory first.
 *
 * The guard sits in the connection's own `push` (what the socket, the TLS socket or the
 * WebSocket stream calls with each chunk it reads), so the connection object aedes and the
 * authentication hooks see stays the real one (remoteAddress, TLS details).
 */
import type { Duplex } from 'node:stream';

/** Follows packet boundaries across chunks: fixed header byte, remaining length (1–4 bytes), body. */
export class PacketSizeTracker {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxRemainingLength: number) {}

  /** Reads one chunk; returns the problem when the stream must be cut, otherwise null. */
  check(chunk: Uint8Array): 'too-large' | 'malformed' | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const skip = Math.min(this.remaining, chunk.length - i);
        i += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      if (this.state === 'type') {
        i += 1;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      const byte = chunk[i++] as number;
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return 'malformed'; // §2.2.3: at most four bytes
        continue;
      }
      if (this.length > this.maxRemainingLength) return 'too-large';
      this.remaining = this.length;
      this.state = this.remaining === 0 ? 'type' : 'body';
    }
    return null;
  }
}

/**
 * Installs the guard on a connection; `refuse` is called once, then the connection is destroyed
 * and nothing of the offending chunk reaches aedes.
 */
export function guardPacketSize(conn: Duplex, maxRemainingLength: number, refuse: (problem: 'too-large' | 'malformed') => void): void {
  const tracker = new PacketSizeTracker(maxRemainingLength);
  const push = conn.push.bind(conn);
  let cut = false;
  conn.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (cut) return false;
    if (chunk !== null && chunk !== undefined) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array);
      const problem = tracker.check(bytes);
      if (problem) {
        cut = true;
        refuse(problem);
        conn.destroy();
        return false;
      }
    }
    return push(chunk, encoding);
  };
}
