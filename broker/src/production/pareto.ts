/**
 * Lost time by reason, largest first (docs/oee.md#pareto). Planned stops are not lost time and
 * are left out; stops without a reason make the `unexplained` bar, microstops the `microstops`
 * bar. Each stop counts with the part of it inside the range.
 */
import type { DowntimePareto, DowntimeReason, DowntimeStop, ParetoBar, TimeRange } from '@mieruka/protocol';

export const UNEXPLAINED = { code: 'unexplained', en: 'Unexplained', ja: '理由未入力' } as const;
export const MICROSTOPS = { code: 'microstops', en: 'Minor stops', ja: 'チョコ停' } as const;

export function pareto(stops: readonly DowntimeStop[], reasons: readonly DowntimeReason[], range: TimeRange, now: number): DowntimePareto {
  const byCode = new Map(reasons.map((r) => [r.code, r]));
  const bars = new Map<string, ParetoBar>();
  let totalS = 0;
  for (const s of stops) {
    const overlap = Math.min(s.end ?? now, range.to) - Math.max(s.start, range.from);
    if (!(overlap > 0)) continue;
    let bar: Omit<ParetoBar, 'totalS' | 'count'>;
    if (s.microstop) bar = { ...MICROSTOPS, category: 'minor_stop' };
    else if (!s.reason) bar = { ...UNEXPLAINED, category: 'unexplained' };
    else {
      // A code no longer in the list (an admin removed it) still shows, under its code.
      const r = byCode.get(s.reason.code) ?? { code: s.reason.code, en: s.reason.code, ja: s.reason.code, category: 'other' as const };
      if (r.category === 'planned') continue;
      bar = { code: r.code, en: r.en, ja: r.ja, category: r.category };
    }
    const existing = bars.get(bar.code) ?? { ...bar, totalS: 0, count: 0 };
    existing.totalS += overlap / 1000;
    existing.count++;
    bars.set(bar.code, existing);
    totalS += overlap / 1000;
  }
  return { bars: [...bars.values()].sort((a, b) => b.totalS - a.totalS || a.code.localeCompare(b.code)), totalS, now };
}
