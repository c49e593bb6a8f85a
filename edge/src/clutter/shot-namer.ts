/**
 * Names clutter shots: a local time stamp for the caption and a unique image id
 * ("20261124-090000-<node>", then "-2", "-3"… for further shots within the same second).
 */
const MAX_IMAGE_ID = 80;

export class ShotNamer {
  private readonly dateParts: Intl.DateTimeFormat;
  private lastStamp = '';
  private sameStampCount = 0;

  /** Throws RangeError for an unknown time zone: a configuration error, caught at construction. */
  constructor(timeZone?: string) {
    this.dateParts = new Intl.DateTimeFormat('en-GB', {
      ...(timeZone === undefined ? {} : { timeZone }),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** "2026-11-24 09:00:00" in the namer's zone. */
  human(ts: number): string {
    const p = this.parts(ts);
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  }

  imageId(ts: number, node: string): string {
    const p = this.parts(ts);
    const stamp = `${p.year}${p.month}${p.day}-${p.hour}${p.minute}${p.second}`;
    this.sameStampCount = stamp === this.lastStamp ? this.sameStampCount + 1 : 0;
    this.lastStamp = stamp;
    const suffix = this.sameStampCount > 0 ? `-${this.sameStampCount + 1}` : '';
    return `${stamp}-${node.slice(0, MAX_IMAGE_ID - stamp.length - 1 - suffix.length)}${suffix}`;
  }

  private parts(ts: number): Record<string, string> {
    const p: Record<string, string> = {};
    for (const part of this.dateParts.formatToParts(ts)) p[part.type] = part.value;
    return p;
  }
}
