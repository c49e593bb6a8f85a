/** The demo hub's clock: stands at replayed times, never goes back or ahead of the base clock, then follows it. */
import { describe, expect, it } from 'vitest';
import { ReplayClock } from './replay-clock.js';

describe('ReplayClock', () => {
  it('stands where it is set, moves only forward, then follows the base clock', () => {
    let base = 1_000_000;
    const clock = new ReplayClock(() => base);
    expect(clock.now()).toBe(base);
    clock.set(400_000);
    expect(clock.replaying).toBe(true);
    base += 5;
    expect(clock.now()).toBe(400_000);
    clock.set(400_000);
    clock.set(500_000);
    expect(() => clock.set(499_999)).toThrow(/cannot go back/);
    expect(() => clock.set(base + 1)).toThrow(/ahead of the base clock/);
    expect(clock.now()).toBe(500_000);
    clock.finish();
    expect(clock.replaying).toBe(false);
    expect(clock.now()).toBe(base);
  });
});
