/**
 * `mieruka machine calibrate` as a user runs it: the built CLI (run `npx tsc -b` first) in a
 * child process, on the trace fixtures of test/fixtures/traces (generated deterministically by
 * generate-traces.mjs there) and on a SQLite store written by the hub's own Store.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MachineStateTracker, parseTraceText, type CalibrationReport, type ProductionCalibration } from '@mieruka/edge';
import { CYCLING_MACHINE_PROFILE, simulateTrace } from '@mieruka/firmware-bridge';
import { parseConfig } from '@mieruka/protocol';
import { runCommand } from '../../test/helpers/run-command.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { Store } from '@mieruka/broker';
import { silentLogger } from '../../broker/src/test-support/helpers.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
const TRACES = fileURLToPath(new URL('../../test/fixtures/traces/', import.meta.url));
const calibrate = (...args: string[]) => runCommand('node', [CLI, 'machine', 'calibrate', ...args], 30_000);

type JsonOut = { source: string; node: string | null; channel: number; report: CalibrationReport; written: { file: string; fields: Record<string, number> } | null };

/** Share of the fixture's readings whose level under the proposal is the recorded phase. */
async function agreementWithFixture(file: string, proposal: CalibrationReport['proposal']): Promise<number> {
  const rows = (await readFile(file, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const tracker = new MachineStateTracker({ offBelowA: proposal.offBelowA ?? -1, runningAboveA: proposal.runningAboveA ?? Number.MAX_VALUE, minDwellS: 0, hysteresisA: proposal.hysteresisA });
  let level: ReturnType<MachineStateTracker['classifyFrom']> | null = null;
  let same = 0;
  for (const [, amps, phase] of rows) {
    level = tracker.classifyFrom(level, Number(amps));
    if (level === phase) same++;
  }
  return same / rows.length;
}

describe('mieruka machine calibrate', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function tempDir() {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    return dir.path;
  }

  it('explains itself', async () => {
    const r = await runCommand('node', [CLI, 'machine', 'calibrate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: mieruka machine calibrate/);
    expect(r.stdout).toMatch(/--trace <file>/);
    expect(r.stdout).toMatch(/--write <config.yaml>/);
  });

  it('learns off / idle / running from a CSV trace and prints a report a person can read', async () => {
    const r = await calibrate('--trace', join(TRACES, 'mill-3-levels.csv'), '--node', 'mill-1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2880 readings over 4\.0 h, one every 5 s/);
    for (const level of ['off', 'idle', 'running']) expect(r.stdout).toMatch(new RegExp(`^  ${level} +\\d+ readings`, 'm'));
    expect(r.stdout).toMatch(/Proposal \(confidence: high\)/);
    expect(r.stdout).toMatch(/^machines:\n {2}mill-1:\n {4}offBelowA: [\d.]+\n {4}runningAboveA: [\d.]+\n {4}hysteresisA: [\d.]+\n {4}minDwellS: \d+$/m);
  });

  it('--json: the proposal separates the phases the simulator recorded', async () => {
    const file = join(TRACES, 'mill-3-levels.csv');
    const r = await calibrate('--trace', file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOut;
    expect(out.report.levels.map((l) => l.name)).toEqual(['off', 'idle', 'running']);
    expect(out.report.confidence).toBe('high');
    expect(out.written).toBeNull();
    expect(await agreementWithFixture(file, out.report.proposal)).toBeGreaterThan(0.99);
  });

  it('reads a raw serial capture (boot banners, noise, a reboot) and counts what it skipped', async () => {
    const r = await calibrate('--trace', join(TRACES, 'mill-serial-capture.log'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOut & { skipped: Record<string, number> };
    expect(out.source).toMatch(/\(lines\)$/);
    expect(out.report.used).toBe(1440);
    // Two boots: 10 banner lines, a noise line and a hello each; a half line each.
    expect(out.skipped).toMatchObject({ 'not-a-reading': 22, invalid: 2 });
    expect(out.report.levels.map((l) => l.name)).toEqual(['off', 'idle', 'running']);
  });

  it('says plainly when the trace lacks a level, and proposes only what it saw', async () => {
    const r = await calibrate('--trace', join(TRACES, 'mill-off-idle.csv'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}on +\d+ readings/m);
    expect(r.stdout).toMatch(/runningAboveA: — \(not found in this trace\)/);
    expect(r.stdout).toMatch(/cannot tell idle from running/);
  });

  it('reads the readings the hub stored (read-only, while the store is open) for one node, channel and time window', async () => {
    const dataDir = await tempDir();
    const store = new Store({ dataDir, batchSize: 500, flushIntervalMs: 60_000, logger: silentLogger });
    await store.start();
    cleanups.push(() => store.stop());
    const fixture = parseTraceText(await readFile(join(TRACES, 'mill-3-levels.csv'), 'utf8'));
    const start = Date.now() - 5 * 3600_000;
    const first = fixture.samples[0]?.ts ?? 0;
    fixture.samples.forEach((s, i) => {
      const ts = start + (s.ts - first);
      // The machine on channel 1; channel 0 is another machine, always at 9 A.
      store.enqueue({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: ts, ts, seq: i, irms: [9, s.amps] });
      store.enqueue({ kind: 'reading', site: 'factory', node: 'lathe-2', receivedAt: ts, ts, seq: i, irms: [0.01] });
    });
    // Old readings outside the window, which would spoil the levels if they were read.
    for (let i = 0; i < 500; i++) store.enqueue({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: 0, ts: start - 30 * 86_400_000 + i * 1000, seq: 100_000 + i, irms: [9, 0.5] });
    await store.flush();

    const r = await calibrate('--data-dir', dataDir, '--node', 'mill-1', '--channel', '1', '--since', '2d', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOut;
    expect(out.report.used).toBe(fixture.samples.length);
    expect(out.report.levels.map((l) => l.name)).toEqual(['off', 'idle', 'running']);
    expect(out.source).toMatch(/factory\/mill-1 since/);

    const wrongNode = await calibrate('--data-dir', dataDir, '--node', 'press-9');
    expect(wrongNode.code).toBe(1);
    expect(wrongNode.stderr).toMatch(/no readings of factory\/press-9/);
    // The database is untouched by the reader: the hub can go on writing.
    store.enqueue({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: Date.now(), ts: Date.now(), seq: 999_999, irms: [1, 1] });
    expect(await store.flush()).toBe(1);
  });

  it('--write updates machines.<node> in the YAML file, keeping comments and other settings', async () => {
    const dir = await tempDir();
    const file = join(dir, 'mieruka.yaml');
    await writeFile(
      file,
      [
        '# Mieruka config of the Tohoku plant',
        'site: tohoku # the third topic level',
        'machines:',
        '  mill-1:',
        '    name: LPKF ProtoMat S63 # the first one',
        '    channel: 0',
        '    offBelowA: 0.3',
        '  lathe-2:',
        '    offBelowA: 0.5',
        '',
      ].join('\n'),
    );
    const r = await calibrate('--trace', join(TRACES, 'mill-3-levels.csv'), '--node', 'mill-1', '--write', file, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOut;
    const p = out.report.proposal;
    expect(out.written).toEqual({ file, fields: { offBelowA: p.offBelowA, runningAboveA: p.runningAboveA, hysteresisA: p.hysteresisA, minDwellS: p.minDwellS } });

    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^# Mieruka config of the Tohoku plant$/m);
    expect(text).toMatch(/site: tohoku # the third topic level/);
    expect(text).toMatch(/name: LPKF ProtoMat S63 # the first one/);
    const config = parseConfig({ text, env: {} });
    expect(config.machines['mill-1']).toMatchObject({ name: 'LPKF ProtoMat S63', channel: 0, offBelowA: p.offBelowA, runningAboveA: p.runningAboveA, hysteresisA: p.hysteresisA, minDwellS: p.minDwellS });
    expect(config.machines['lathe-2']?.offBelowA).toBe(0.5);
  });

  it('a trace with machining cycles: prints and writes sensor.offLevelA and cycles.*; a flat trace says it has no cycles', async () => {
    const dir = await tempDir();
    // Four hours of a simulated machine that works series of parts, one reading a second.
    const trace = simulateTrace({ seed: 5, durationS: 4 * 3600, intervalMs: 1000, profile: CYCLING_MACHINE_PROFILE });
    const csv = join(dir, 'cycles.csv');
    await writeFile(csv, `ts,amps\n${trace.map((p) => `${p.tMs},${p.irms}`).join('\n')}\n`);
    const r = await calibrate('--trace', csv, '--node', 'mill-1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {4}sensor:\n {6}offLevelA: [\d.]+\n {4}cycles:\n {6}aboveA: [\d.]+\n {6}minS: [\d.]+\n {6}minGapS: [\d.]+\n {6}idealCycleS: [\d.]+$/m);

    const file = join(dir, 'mieruka.yaml');
    const w = await calibrate('--trace', csv, '--node', 'mill-1', '--write', file, '--json');
    expect(w.stderr).toBe('');
    const out = JSON.parse(w.stdout) as JsonOut & { production: ProductionCalibration };
    const c = out.production.cycles!;
    // The profile's running base is 3–3.6 A (± 15 % load), its peaks 2–2.4 × the base; cycles last 60–120 s.
    expect(c.aboveA).toBeGreaterThan(4.2);
    expect(c.aboveA).toBeLessThan(5.1);
    expect(c.idealCycleS).toBeGreaterThanOrEqual(55);
    expect(c.idealCycleS).toBeLessThan(90);
    expect(out.production.offLevelA).toBeCloseTo(0.12, 2);
    const config = parseConfig({ text: await readFile(file, 'utf8'), env: {} });
    expect(config.machines['mill-1']).toMatchObject({ sensor: { offLevelA: out.production.offLevelA }, cycles: c });

    // The fixture's machine runs flat jobs: no cycle numbers.
    const flat = await calibrate('--trace', join(TRACES, 'mill-3-levels.csv'), '--node', 'mill-1');
    expect(flat.stdout).toMatch(/cycles: +— \(no cycles found in this trace/);
    expect(flat.stdout).not.toMatch(/^ {4}cycles:$/m);
  });

  it('--write refuses a result that would not validate, and leaves the file as it was', async () => {
    const dir = await tempDir();
    const file = join(dir, 'mieruka.yaml');
    // The trace has no off level, so offBelowA stays as configured: 5 A, above the proposed runningAboveA.
    const original = 'machines:\n  mill-1:\n    offBelowA: 5 # far too high\n    runningAboveA: 6\n';
    await writeFile(file, original);
    const r = await calibrate('--trace', join(TRACES, 'mill-idle-running.csv'), '--node', 'mill-1', '--write', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not written/);
    expect(r.stderr).toMatch(/runningAboveA must be greater than offBelowA/);
    // The report was still printed, so the person sees why.
    expect(r.stdout).toMatch(/No off level found/);
    expect(await readFile(file, 'utf8')).toBe(original);

    // Nothing to write at all: one level only.
    const offOnly = join(dir, 'off.csv');
    await writeFile(offOnly, `ts,amps\n${Array.from({ length: 100 }, (_, i) => `${i * 1000},0.02`).join('\n')}\n`);
    const none = await calibrate('--trace', offOnly, '--node', 'mill-1', '--write', file);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to write/);
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('creates the config file when it does not exist yet', async () => {
    const dir = await tempDir();
    const file = join(dir, 'new.yaml');
    await copyFile(join(TRACES, 'mill-3-levels.csv'), join(dir, 'trace.csv'));
    const r = await calibrate('--trace', join(dir, 'trace.csv'), '--node', 'mill-1', '--write', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Updated machines\.mill-1 in /);
    const config = parseConfig({ text: await readFile(file, 'utf8'), env: {} });
    expect(config.machines['mill-1']?.runningAboveA).toBeGreaterThan(1);
  });

  it('fails clearly on bad input', async () => {
    const missing = await calibrate('--trace', '/nonexistent/trace.csv');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read trace \/nonexistent\/trace\.csv/);
    const noNode = await calibrate('--data-dir', await tempDir());
    expect(noNode.code).toBe(2);
    expect(noNode.stderr).toMatch(/--node/);
    const noDb = await calibrate('--data-dir', await tempDir(), '--node', 'mill-1');
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toMatch(/no hub database/);
    const badSince = await calibrate('--data-dir', await tempDir(), '--node', 'mill-1', '--since', 'last tuesday');
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/--since last tuesday/);
    const writeNoNode = await calibrate('--trace', join(TRACES, 'mill-3-levels.csv'), '--write', join(await tempDir(), 'x.yaml'));
    expect(writeNoNode.code).toBe(2);
    expect(writeNoNode.stderr).toMatch(/--write needs --node/);
  });
});
