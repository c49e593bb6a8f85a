/**
 * Jobs (runs) of a machine: from `run_started` / `run_finished` events, and — where no event
 * covers a running stretch of the state timeline (an agent without events, lost events) —
 * from the timeline itself.
 */
import type { MachineJob, TimeRange } from '@mieruka/protocol';
import { firstWhere } from './first-where.js';
import type { Segment } from './timeline.js';

export type RunEvent = { ts: number; seq: number; type: string; data: Record<string, unknown> };

export const RUN_EVENT_TYPES = ['run_started', 'run_finished'] as const;

type Draft = { start: number; end: number | null; reportedS: number | null; partial: boolean; interrupted: boolean; source: MachineJob['source'] };

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);


/** First instant ≥ t at which the timeline says off or idle (unknown does not end a run). */
function knownStop(segments: readonly Segment[], t: number): number | null {
  for (let i = firstWhere(segments, (s) => s.end > t); i < segments.length; i++) {
    const s = segments[i]!;
    if (s.state === 'off' || s.state === 'idle') return Math.max(s.start, t);
  }
  return null;
}

/**
 * `events`: run events in order (ts, seq), from the last one before the range to the first one
 * after it. `segments`: the timeline, covering every run's start up to `timelineEnd` (= now
 * when the last run may still be going). Returns the jobs overlapping `range`, by start.
 */
export function deriveJobs(events: readonly RunEvent[], segments: readonly Segment[], range: TimeRange, now: number): MachineJob[] {
  const timelineEnd = segments.at(-1)?.end ?? now;
  const drafts: Draft[] = [];
  let open: { start: number } | null = null;

  for (const e of events) {
    if (e.type === 'run_started') {
      if (open) {
        // The finish of the previous run never came: it ended when the machine stopped, at the latest now.
        const stop = knownStop(segments, open.start);
        drafts.push({ start: open.start, end: stop !== null && stop < e.ts ? stop : e.ts, reportedS: null, partial: false, interrupted: true, source: 'events' });
      }
      open = { start: e.ts };
    } else if (e.type === 'run_finished') {
      const startedAt = finite(e.data.startedAt);
      const reportedS = finite(e.data.durationS);
      const start = startedAt ?? open?.start ?? (reportedS !== null ? e.ts - reportedS * 1000 : e.ts);
      drafts.push({
        start: Math.min(start, e.ts),
        end: e.ts,
        reportedS: reportedS !== null && reportedS >= 0 ? reportedS : null,
        partial: e.data.partial === true || (startedAt === null && open === null && reportedS === null),
        interrupted: e.data.interrupted === true,
        source: 'events',
      });
      open = null;
    }
  }
  if (open) {
    const stop = knownStop(segments, open.start);
    drafts.push({ start: open.start, end: stop, reportedS: null, partial: false, interrupted: stop !== null, source: 'events' });
  }

  // Running stretches no event run touches become jobs of their own. The union of event runs,
  // as disjoint sorted spans, answers "does anything overlap" with one binary search.
  const spans: Array<{ start: number; end: number }> = [];
  for (const d of [...drafts].sort((a, b) => a.start - b.start)) {
    const end = d.end ?? now;
    const last = spans.at(-1);
    if (last && d.start <= last.end) last.end = Math.max(last.end, end);
    else spans.push({ start: d.start, end });
  }
  const covered = (s: Segment) => {
    const i = firstWhere(spans, (span) => span.start >= s.end) - 1; // the last span starting before s.end
    return i >= 0 && spans[i]!.end > s.start;
  };
  segments.forEach((s, i) => {
    if (s.state !== 'running' || covered(s)) return;
    const before = segments[i - 1];
    const after = segments[i + 1];
    const ongoing = !after && s.end >= timelineEnd && timelineEnd >= now;
    drafts.push({
      start: s.start,
      end: ongoing ? null : s.end,
      reportedS: null,
      partial: !before || before.state === 'unknown',
      interrupted: after?.state === 'unknown',
      source: 'states',
    });
  });

  return drafts
    .filter((d) => d.start < range.to && (d.end === null || d.end > range.from))
    .sort((a, b) => a.start - b.start || (a.end ?? Infinity) - (b.end ?? Infinity))
    .map((d) => ({
      start: d.start,
      end: d.end,
      durationS: d.reportedS ?? Math.max(0, (d.end ?? now) - d.start) / 1000,
      partial: d.partial,
      interrupted: d.interrupted,
      source: d.source,
    }));
}
