/**
 * Connections per IP address per second: a fixed one-second window per address. Memory is
 * bounded: the table is cleared whenever a new second starts.
 */
export class ConnectionRate {
  private windowStart = -Infinity;
  private readonly counts = new Map<string, number>();

  constructor(private readonly perSecond: number) {}

  /** Counts a connection from `ip` at `now`; false when it is one too many this second. */
  allow(ip: string, now: number): boolean {
    if (now - this.windowStart >= 1000 || now < this.windowStart) {
      this.windowStart = now;
      this.counts.clear();
    }
    const n = (this.counts.get(ip) ?? 0) + 1;
    this.counts.set(ip, n);
    return n <= this.perSecond;
  }
}
