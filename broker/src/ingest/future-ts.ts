/**
 * Time sanity at ingest. The payload schemas accept any `ts` up to 2100 (they only catch
 * seconds-vs-milliseconds mix-ups); a reading from the future would become the node's newest
 * value for good — later true readings look older and are ignored — so its state and alarms
 * freeze. Such a reading is refused: counted, never stored, never applied.
 */
import type { DecodedMessage } from '@mieruka/protocol';

export const DEFAULT_MAX_FUTURE_SKEW_MS = 300_000;

/** The timestamps of a message that must not lie ahead of the hub's clock (none for an image). */
function timestamps(message: DecodedMessage): number[] {
  switch (message.kind) {
    case 'image':
      return [];
    case 'state':
      return [message.payload.ts, message.payload.since];
    default:
      return [message.payload.ts];
  }
}

/** A reason text when the message is from further ahead than `maxSkewMs`, otherwise null. */
export function futureTimestamp(message: DecodedMessage, now: number, maxSkewMs: number): string | null {
  const latest = Math.max(...timestamps(message), -Infinity);
  if (latest <= now + maxSkewMs) return null;
  return `ts ${new Date(latest).toISOString()} is ${Math.round((latest - now) / 1000)} s ahead of the hub's clock (allowed: ${Math.round(maxSkewMs / 1000)} s)`;
}
