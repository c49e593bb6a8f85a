import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BANNER_LINES_TOLERATED, SkipReporter } from './skip-reporter.js';

function reporter() {
  const lines: Array<{ level: number; msg: string; skipped?: Record<string, number> }> = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  let t = Date.UTC(2027, 0, 1);
  const r = new SkipReporter({ logger, now: () => t, intervalMs: 60_000 });
  const warnings = () => lines.filter((l) => l.level === 40);
  return { r, warnings, advance: (ms: number) => (t += ms) };
}

describe('SkipReporter', () => {
  it('keeps a boot banner at debug, then warns about garbage after the first message, at most once a minute', () => {
    const { r, warnings, advance } = reporter();
    r.opened();
    for (let i = 0; i < 10; i++) r.skipped('not-json', `rst:0x1 banner ${i}`);
    expect(warnings()).toEqual([]);
    r.delivered();
    r.skipped('binary', '\u0000\u0001');
    r.skipped('not-json', 'x');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.skipped).toEqual({ 'not-json': 10, binary: 1 });
    advance(60_000);
    r.skipped('schema', '{"type":"rms"}');
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]?.skipped).toEqual({ 'not-json': 1, schema: 1 });
  });

  it('warns when no valid line comes at all (a wrong baud rate), past what a banner would be', () => {
    const { r, warnings } = reporter();
    r.opened();
    for (let i = 0; i < BANNER_LINES_TOLERATED; i++) r.skipped('not-json', '\u00ff\u00fe');
    expect(warnings()).toEqual([]);
    r.skipped('not-json', '\u00ff\u00fe');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(/wrong baud rate/);
  });

  it('never warns about empty lines; a reopened port gets its banner allowance again', () => {
    const { r, warnings, advance } = reporter();
    r.opened();
    r.delivered();
    r.skipped('empty', '');
    expect(warnings()).toEqual([]);
    advance(120_000);
    r.opened();
    for (let i = 0; i < 10; i++) r.skipped('not-json', 'banner');
    expect(warnings()).toEqual([]);
  });
});
