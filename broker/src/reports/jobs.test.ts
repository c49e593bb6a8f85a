import { describe, expect, it } from 'vitest';
import { deriveJobs, type RunEvent } from './jobs.js';
import type { Segment } from './timeline.js';

const M = 60_000;
let seq = 0;
const started = (min: number): RunEvent => ({ ts: min * M, seq: ++seq, type: 'run_started', data: {} });
const finished = (min: number, data: Record<string, unknown> = {}): RunEvent => ({ ts: min * M, seq: ++seq, type: 'run_finished', data });
const seg = (state: Segment['state'], from: number, to: number): Segment => ({ state, start: from * M, end: to * M });
const range = (from: number, to: number) => ({ from: from * M, to: to * M });
const inMinutes = (jobs: ReturnType<typeof deriveJobs>) => jobs.map((j) => ({ ...j, start: j.start / M, end: j.end === null ? null : j.end / M }));

describe('deriveJobs', () => {
  it('pairs run_started with run_finished and keeps the flags and reported duration', () => {
    const events = [started(10), finished(40, { durationS: 1800, startedAt: 10 * M }), finished(70, { durationS: 600, startedAt: 60 * M, partial: true, interrupted: true })];
    const timeline = [seg('idle', 0, 10), seg('running', 10, 40), seg('idle', 40, 60), seg('running', 60, 70), seg('off', 70, 100)];
    expect(inMinutes(deriveJobs(events, timeline, range(0, 100), 100 * M))).toEqual([
      { start: 10, end: 40, durationS: 1800, partial: false, interrupted: false, source: 'events' },
      { start: 60, end: 70, durationS: 600, partial: true, interrupted: true, source: 'events' },
    ]);
  });

  it('shows a run still going with end null and its duration so far', () => {
    const jobs = deriveJobs([started(50)], [seg('idle', 0, 50), seg('running', 50, 80)], range(0, 100), 80 * M);
    expect(inMinutes(jobs)).toEqual([{ start: 50, end: null, durationS: 30 * 60, partial: false, interrupted: false, source: 'events' }]);
  });

  it('ends a run whose finish never came where the machine stopped, flagged interrupted', () => {
    const timeline = [seg('running', 10, 25), seg('idle', 25, 30), seg('running', 30, 45), seg('off', 45, 60)];
    const jobs = deriveJobs([started(10), started(30)], timeline, range(0, 60), 60 * M);
    expect(inMinutes(jobs)).toEqual([
      { start: 10, end: 25, durationS: 15 * 60, partial: false, interrupted: true, source: 'events' },
      { start: 30, end: 45, durationS: 15 * 60, partial: false, interrupted: true, source: 'events' },
    ]);
  });

  it('falls back to running stretches of the timeline where no event covers them', () => {
    const timeline = [seg('unknown', 0, 5), seg('running', 5, 20), seg('idle', 20, 30), seg('running', 30, 40), seg('off', 40, 50), seg('running', 50, 60), seg('unknown', 60, 70), seg('running', 70, 90)];
    // Only the 30–40 run has events.
    const jobs = deriveJobs([started(30), finished(40, { durationS: 600, startedAt: 30 * M })], timeline, range(0, 90), 90 * M);
    expect(inMinutes(jobs)).toEqual([
      { start: 5, end: 20, durationS: 900, partial: true, interrupted: false, source: 'states' },
      { start: 30, end: 40, durationS: 600, partial: false, interrupted: false, source: 'events' },
      { start: 50, end: 60, durationS: 600, partial: false, interrupted: true, source: 'states' },
      { start: 70, end: null, durationS: 1200, partial: true, interrupted: false, source: 'states' },
    ]);
  });

  it('returns runs that overlap the range with their real start and end', () => {
    const events = [started(10), finished(40, { durationS: 1800, startedAt: 10 * M }), started(50), finished(55, { durationS: 300, startedAt: 50 * M })];
    const timeline = [seg('running', 10, 40), seg('idle', 40, 50), seg('running', 50, 55), seg('idle', 55, 60)];
    expect(inMinutes(deriveJobs(events, timeline, range(30, 45), 60 * M)).map((j) => [j.start, j.end])).toEqual([[10, 40]]);
  });

  it('takes the start of a run_finished without a run_started from startedAt or its duration', () => {
    const jobs = deriveJobs([finished(40, { durationS: 600 })], [], range(0, 60), 60 * M);
    expect(inMinutes(jobs)).toEqual([{ start: 30, end: 40, durationS: 600, partial: false, interrupted: false, source: 'events' }]);
    const bare = deriveJobs([finished(40)], [], range(0, 60), 60 * M);
    expect(inMinutes(bare)).toEqual([{ start: 40, end: 40, durationS: 0, partial: true, interrupted: false, source: 'events' }]);
  });
});
