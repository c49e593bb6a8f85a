/**
 * Names clutter shots: a local time stamp for the caption and a unique image id
 * ("20261124-090000-<node>", then "-2", "-3"… for further shots within the same second).
 */
import { LocalTime } from '@mieruka/protocol';

const MAX_IMAGE_ID = 80;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export class ShotNamer {
  private readonly clock: LocalTime;
  private lastStamp = '';
  private sameStampCount = 0;

  /** Throws RangeError for an unknown time zone: a configuration error, caught at construction. Default: the system's zone. */
  constructor(timeZone?: string) {
    this.clock = new LocalTime(timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone);
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

  private parts(ts: number): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
    const p = this.clock.parts(ts);
    return { year: pad(p.year, 4), month: pad(p.month), day: pad(p.day), hour: pad(p.hour), minute: pad(p.minute), second: pad(p.second) };
  }
}
