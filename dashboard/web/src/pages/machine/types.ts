/** What the machine and bench APIs answer (see docs/api.md). Type-only: nothing of the server is bundled. */
import type { BenchScore, MachineJob, MachineSummary, StateInterval, UsageRow } from '../../../../src/data-source.js';

export type MachineState = MachineSummary['state'];

export type MachinesAnswer = { timeZone: string; now: number; machines: MachineSummary[] };
type Range = { site: string; node: string; timeZone: string; from: number; to: number };
export type TimelineAnswer = Range & { now: number; intervals: Array<StateInterval & { durationS: number }> };
export type JobsAnswer = Range & { now: number; jobs: MachineJob[] };
export type UtilizationAnswer = Range & { now: number; rows: UsageRow[]; total: { utilization: number | null; seconds: UsageRow['seconds'] } };
export type CurrentAnswer = Range & { channel: number; bucketMs: number; points: Array<{ ts: number; avg: number; min: number; max: number }> };

export type ScoreWithUrls = BenchScore & { time: string; imageUrl: string | null; thumbnailUrl: string | null };
type BenchBase = { site: string; node: string; name: string | null; timeZone: string };
export type BenchLatestAnswer = BenchBase & { latest: ScoreWithUrls | null };
export type BenchTrendAnswer = BenchBase & { from: number; to: number; truncated: boolean; scores: ScoreWithUrls[] };
export type BenchDay = { date: string; count: number; last: number; lastTs: number; lastTime: string; max: number; min: number; mean: number };
export type BenchCalendarAnswer = BenchBase & { period: string; from: number; to: number; days: BenchDay[] };
