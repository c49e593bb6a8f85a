import { describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '@mieruka/protocol';
import { StopWatch } from './stop-watch.js';

const T = Date.now();

function harness(answers: Array<number | null | Error>) {
  let at = T;
  const pending = new Map<number, { fn: () => void; due: number }>();
  let id = 0;
  const checks: number[] = [];
  const errors: unknown[] = [];
  const watch = new StopWatch({
    now: () => at,
    timers: { set: (fn, ms) => (pending.set(++id, { fn, due: at + ms }), id), clear: (h) => void pending.delete(h as number) },
    check: async () => {
      checks.push(at);
      const a = answers.shift() ?? null;
      if (a instanceof Error) throw a;
      return a;
    },
    onError: (err) => errors.push(err),
  });
  const advance = async (ms: number) => {
    at += ms;
    for (const [k, t] of [...pending]) if (t.due <= at && pending.delete(k)) t.fn();
    await watch.idle();
  };
  return { watch, pending, checks, errors, advance };
}

const node = (state: 'off' | 'idle' | 'running', since: number): NodeSnapshot => ({
  site: 'f',
  node: 'm',
  online: true,
  agent: 'bridge',
  version: '1',
  lastSeen: since,
  state: { state, since, ts: since },
  current: null,
  clutter: null,
  motion: null,
});

describe('StopWatch', () => {
  it('checks on a state change only, and again at the instant the check asks for', async () => {
    const h = harness([T + 60_000, null]);
    h.watch.onNode(node('idle', T));
    h.watch.onNode(node('idle', T)); // a new reading, same state: no check
    await h.watch.idle();
    expect(h.checks).toEqual([T]);
    await h.advance(59_999);
    expect(h.checks).toEqual([T]);
    await h.advance(1);
    expect(h.checks).toEqual([T, T + 60_000]);
    expect(h.watch.pending).toBe(0);
  });

  it('a new state replaces the timer; a failing check is reported, not thrown; stop clears all', async () => {
    const h = harness([T + 60_000, new Error('store closed'), T + 1000]);
    h.watch.onNode(node('idle', T));
    await h.watch.idle();
    expect(h.pending.size).toBe(1);
    h.watch.onNode(node('running', T + 1)); // check throws
    await h.watch.idle();
    expect(h.errors).toHaveLength(1);
    expect(h.pending.size).toBe(0);
    h.watch.onNode(node('off', T + 2));
    await h.watch.idle();
    expect(h.watch.pending).toBe(1);
    await h.watch.stop();
    expect(h.pending.size).toBe(0);
  });

  it('runs one check per machine at a time: a change during a check checks again after it, and its stale answer arms nothing', async () => {
    const h = harness([T + 60_000, T + 5000]);
    h.watch.onNode(node('idle', T));
    h.watch.onNode(node('off', T + 1)); // while the first check is still under way
    await h.watch.idle();
    expect(h.checks).toEqual([T, T]);
    expect(h.pending.size).toBe(1);
    expect([...h.pending.values()][0]!.due).toBe(T + 5000); // the second answer, not the stale first
    await h.watch.stop();
  });
});
