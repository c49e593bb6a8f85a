/** Table tests of what the rules engine treats as history (late changes, nodes catching up). */
import { describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '@mieruka/protocol';
import { emptySnapshot } from '../../ingest/live-state.js';
import { isCatchingUp, isLateChange, LATE_MS } from './history.js';

const NOW = Date.UTC(2025, 10, 24, 1, 0);
const node = (patch: Partial<NodeSnapshot> = {}): NodeSnapshot => ({ ...emptySnapshot('factory', 'mill-1'), online: true, ...patch });
const state = (s: 'off' | 'running', ts: number) => ({ state: { state: s, since: ts, ts } });
const clutter = (ts: number) => ({ clutter: { score: 80, coveredRatio: 0.8, slot: '09:00', ts, imageId: null } });
const backlog = (queued: number) => ({ backlog: { queued, oldestTs: queued > 0 ? NOW - LATE_MS : null, dropped: 0, at: NOW } });

describe('history', () => {
  it.each([
    ['a state change said just now', node(state('running', NOW - 60_000)), node(state('off', NOW - 1_000)), false],
    ['a state change of 5 hours ago', node(state('running', NOW - 6 * 3_600_000)), node(state('off', NOW - 5 * 3_600_000)), true],
    ['exactly LATE_MS old is still news', node(state('running', NOW - LATE_MS - 1)), node(state('off', NOW - LATE_MS)), false],
    ['an old state that did not change (lastSeen only)', node(state('off', NOW - 5 * 3_600_000)), node({ ...state('off', NOW - 5 * 3_600_000), lastSeen: NOW }), false],
    ['a clutter score of 3 hours ago', node(), node(clutter(NOW - 3 * 3_600_000)), true],
    ['a fresh clutter score', node(clutter(NOW - 3 * 3_600_000)), node(clutter(NOW - 2_000)), false],
  ])('late change: %s', (_label, previous, next, expected) => {
    expect(isLateChange(previous, next, NOW)).toBe(expected);
  });

  it.each([
    ['messages waiting', node(backlog(12)), true],
    ['queue empty', node(backlog(0)), false],
    ['the agent does not say', node(), false],
    ['offline (its will may carry an old count)', node({ ...backlog(12), online: false }), false],
    ['never heard of', undefined, false],
  ])('catching up: %s', (_label, n, expected) => {
    expect(isCatchingUp(n)).toBe(expected);
  });
});
