import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InvalidMessageCounter, OTHER_NODES, UNKNOWN_NODE } from './invalid-counter.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('InvalidMessageCounter', () => {
  it('counts every drop but logs at most once per node per minute, with the reason', () => {
    let now = 1_000_000;
    const { logger, lines } = capture();
    const counter = new InvalidMessageCounter({ logger, now: () => now });
    const bad = (node: string, reason: 'schema' | 'not-json') =>
      counter.record({ reason, message: `bad ${reason}`, topic: `mieruka/v1/f/${node}/current`, site: 'f', node, kind: 'current' });

    for (let i = 0; i < 5; i++) bad('mill-1', 'schema');
    bad('mill-1', 'not-json');
    bad('mill-2', 'not-json');
    counter.record({ reason: 'topic', message: 'not a v1 topic', topic: 'mieruka/v1/x' });
    expect(counter.stats()).toEqual({
      total: 8,
      byReason: { schema: 5, 'not-json': 2, topic: 1 },
      byNode: { 'f/mill-1': 6, 'f/mill-2': 1, [UNKNOWN_NODE]: 1 },
    });
    expect(lines.map((l) => [l.node, l.reason])).toEqual([
      ['mill-1', 'schema'],
      ['mill-2', 'not-json'],
      [undefined, 'topic'],
    ]);
    expect(lines[0]?.detail).toBe('bad schema');

    now += 59_999;
    bad('mill-1', 'schema');
    expect(lines).toHaveLength(3);
    now += 1;
    bad('mill-1', 'not-json');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ node: 'mill-1', reason: 'not-json', suppressedSinceLastLog: 6 });
  });

  it('caps the per-node table so made-up node ids cannot grow memory', () => {
    const { logger } = capture();
    const counter = new InvalidMessageCounter({ logger, maxNodes: 3 });
    for (let i = 0; i < 10; i++) counter.record({ reason: 'schema', message: 'x', topic: 't', site: 'f', node: `n-${i}` });
    const byNode = counter.stats().byNode;
    expect(Object.keys(byNode)).toHaveLength(4);
    expect(byNode[OTHER_NODES]).toBe(7);
    expect(counter.count).toBe(10);
  });
});
