/** Capped exponential back-off shared by the alert channels (PATLITE, webhook). */
export type BackoffOptions = { initialMs?: number; maxMs?: number };

export const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 60_000 } as const;

/** Delay before retry number `attempt` (1 = first retry): initial × 2^(attempt−1), capped. */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const initial = Math.max(1, options.initialMs ?? DEFAULT_BACKOFF.initialMs);
  const max = Math.max(initial, options.maxMs ?? DEFAULT_BACKOFF.maxMs);
  return Math.min(max, initial * 2 ** Math.min(Math.max(0, attempt - 1), 30));
}
