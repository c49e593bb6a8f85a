import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SoleLeadership } from './leadership.js';

describe('SoleLeadership (a single hub)', () => {
  it('leads from start until stop and tells its listeners each change once', async () => {
    const start = Date.now();
    let clock = start;
    const leadership = new SoleLeadership({ logger: pino({ level: 'silent' }), now: () => clock });
    const told: boolean[] = [];
    leadership.onChange((leading) => told.push(leading));
    expect(leadership.leading).toBe(false);
    expect(leadership.status()).toEqual({ leading: false, since: null, terms: 0, lastError: null });

    clock = start + 1234;
    await leadership.start();
    await leadership.start();
    expect(leadership.leading).toBe(true);
    expect(leadership.status()).toEqual({ leading: true, since: start + 1234, terms: 1, lastError: null });
    expect(told).toEqual([true]);

    await leadership.stop();
    expect(leadership.leading).toBe(false);
    expect(leadership.status()).toMatchObject({ leading: false, since: null, terms: 1 });
    expect(told).toEqual([true, false]);
  });

  it('a failing listener is logged and the others are still told; unsubscribe stops the telling', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const leadership = new SoleLeadership({ logger });
    const told: boolean[] = [];
    leadership.onChange(() => {
      throw new Error('listener broke');
    });
    leadership.onChange(async () => {
      throw new Error('async listener broke');
    });
    const off = leadership.onChange((leading) => told.push(leading));
    await leadership.start();
    expect(told).toEqual([true]);
    expect(leadership.leading).toBe(true);
    off();
    await leadership.stop();
    expect(told).toEqual([true]);
    await new Promise((r) => setImmediate(r));
    expect(lines.join('')).toContain('listener broke');
    expect(lines.join('')).toContain('async listener broke');
  });
});
