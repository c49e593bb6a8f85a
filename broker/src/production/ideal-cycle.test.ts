import { describe, expect, it } from 'vitest';
import { idealCycle, percentile } from './ideal-cycle.js';

describe('ideal cycle', () => {
  it('the config wins', () => {
    expect(idealCycle(42, [1, 2, 3])).toEqual({ seconds: 42, source: 'config' });
  });
  it('learned as the 10th percentile once there are 20 cycles, else none', () => {
    const durations = Array.from({ length: 20 }, (_v, i) => 30 + i); // 30 … 49
    expect(idealCycle(undefined, durations)).toEqual({ seconds: 31, source: 'learned' });
    expect(idealCycle(undefined, durations.slice(1))).toEqual({ seconds: null, source: 'none' });
    // A few aborted short cycles do not drag it down.
    expect(idealCycle(undefined, [1, ...durations.slice(1)])!.seconds).toBe(31);
    expect(percentile([], 0.1)).toBeNull();
  });
});
