import { describe, expect, it } from 'vitest';
import { CronSlotScheduler, ManualSlotScheduler } from './slot-scheduler.js';

const hhmm = (d: Date, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);

describe('slot schedulers', () => {
  it('croner runs a slot daily at HH:MM in the station’s time zone', () => {
    for (const [slot, tz] of [
      ['09:00', 'Asia/Tokyo'],
      ['17:30', 'Europe/Berlin'],
      ['00:05', 'America/New_York'],
    ] as const) {
      const next = CronSlotScheduler.nextRun(slot, tz)!;
      expect(hhmm(next, tz)).toBe(slot);
      expect(next.getTime()).toBeGreaterThan(Date.now());
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(25 * 3600_000);
    }
  });

  it('the manual scheduler fires only scheduled, uncancelled slots', () => {
    const s = new ManualSlotScheduler();
    const fired: string[] = [];
    s.daily('09:00', 'Asia/Tokyo', () => fired.push('a'));
    const cancel = s.daily('12:00', 'Asia/Tokyo', () => fired.push('b'));
    cancel();
    expect([s.fire('09:00'), s.fire('12:00'), s.fire('13:00')]).toEqual([1, 0, 0]);
    expect(fired).toEqual(['a']);
  });
});
