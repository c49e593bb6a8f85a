import { describe, expect, it } from 'vitest';
import type { DowntimeReason, DowntimeStop } from '@mieruka/protocol';
import { pareto } from './pareto.js';

const T = Date.now() - 86_400_000;
const reasons: DowntimeReason[] = [
  { code: 'setup', en: 'Setup', ja: '段取り', category: 'setup', machines: [] },
  { code: 'break', en: 'Break', ja: '休憩', category: 'planned', machines: [] },
];
const stop = (start: number, s: number, code: string | null, microstop = false): DowntimeStop => ({
  site: 'f',
  node: 'm',
  start: T + start * 1000,
  end: T + (start + s) * 1000,
  durationS: s,
  state: 'idle',
  reason: code ? { code, by: 'a', at: T } : null,
  microstop,
  needsReason: false,
});

describe('pareto', () => {
  it('lost time by reason, largest first; planned stops left out; only the part inside the range', () => {
    const p = pareto([stop(0, 600, 'setup'), stop(1000, 900, null), stop(2000, 30, null, true), stop(3000, 3600, 'break'), stop(7000, 1000, 'setup')], reasons, { from: T, to: T + 7500 * 1000 }, T + 86_400_000);
    expect(p.bars.map((b) => [b.code, b.category, b.totalS, b.count])).toEqual([
      ['setup', 'setup', 1100, 2],
      ['unexplained', 'unexplained', 900, 1],
      ['microstops', 'minor_stop', 30, 1],
    ]);
    expect(p.totalS).toBe(2030);
  });
});
