/**
 * `mieruka doctor` as a command: the report in both languages, --json, --only, and the exit
 * codes (0 no fail, 1 a check failed, 2 the doctor could not run); a check that hangs is cut off.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import type { CliContext } from '../context.js';
import { buildProgram } from '../program.js';
import { doctorContext } from '../test-support/doctor-context.js';
import { text, type Check } from './check.js';
import { runCheck } from './run-doctor.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function doctor(args: string[], env: Record<string, string | undefined> = {}, cwd = '/'): Promise<{ out: string[]; code: number | undefined }> {
  const out: string[] = [];
  let code: number | undefined;
  const ctx: CliContext = { env, cwd, print: (l) => out.push(l), keepRunning: () => undefined, setExitCode: (c) => (code = c) };
  await buildProgram(ctx).parseAsync(['node', 'mieruka', 'doctor', ...args]);
  return { out, code };
}

async function configFile(yaml: string): Promise<{ file: string; dir: string }> {
  const tmp = await makeTempDir();
  cleanups.push(() => tmp.remove());
  const file = join(tmp.path, 'mieruka.yaml');
  await writeFile(file, yaml);
  return { file, dir: tmp.path };
}

describe('mieruka doctor', () => {
  it('prints {checks, summary} with --json and exits 0 when nothing failed', async () => {
    const { file, dir } = await configFile('hub:\n  dataDir: ./data\n');
    const { out, code } = await doctor(['--config', file, '--json', '--only', 'config,data-dir,smtp', '--lang', 'en'], {}, dir);
    const report = JSON.parse(out.join('\n')) as { checks: Array<{ id: string; status: string; message: string }>; summary: Record<string, number> };
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['config', 'ok'],
      ['data-dir', expect.stringMatching(/^(ok|warn)$/)],
      ['smtp', 'skip'],
    ]);
    expect(report.checks[0]?.message).toBe(`${file} is valid`);
    // A relative data dir is relative to where the command runs, as for the hub.
    expect(report.checks[1]?.message).toContain(`${join(dir, 'data')} does not exist yet`);
    expect(report.summary.skip).toBe(1);
    expect((report.summary.ok ?? 0) + (report.summary.warn ?? 0)).toBe(2);
    expect(code).toBe(0);
  });

  it('exits 1 with the loader\'s errors when the config is invalid, and skips the rest', async () => {
    const { file } = await configFile('hub:\n  mqtt:\n    port: 99999\nmachines:\n  Mill_1: {}\n');
    const { out, code } = await doctor(['--config', file, '--json', '--lang', 'en']);
    const report = JSON.parse(out.join('\n')) as { checks: Array<{ id: string; status: string; message: string; fix?: string }>; summary: Record<string, number> };
    expect(report.checks[0]).toMatchObject({ id: 'config', status: 'fail' });
    expect(report.checks[0]?.message).toContain('hub.mqtt.port');
    expect(report.checks[0]?.fix).toContain('docs/config.md');
    expect(report.summary).toEqual({ ok: 0, warn: 0, fail: 1, skip: 9 });
    expect(code).toBe(1);
  });

  it('exits 2 and says why when the config file cannot be read', async () => {
    const { dir } = await configFile('');
    const missing = join(dir, 'nope.yaml');
    const { out, code } = await doctor(['--config', missing, '--lang', 'en', '--only', 'config']);
    expect(out.join('\n')).toContain(`✗ config  FAIL  cannot read ${missing}`);
    expect(code).toBe(2);
  });

  it('speaks Japanese when LANG starts with ja, with the what-to-do lines and the counts', async () => {
    const { dir } = await configFile('');
    const { out, code } = await doctor(['--config', join(dir, 'nope.yaml'), '--only', 'config,clock'], { LANG: 'ja_JP.UTF-8' });
    const textOut = out.join('\n');
    expect(textOut).toContain('を読めません');
    expect(textOut).toContain('対処:');
    expect(textOut).toContain('結果: 正常 0, 注意 0, 異常 1, 省略 1');
    expect(code).toBe(2);
    const en = await doctor(['--config', join(dir, 'nope.yaml'), '--only', 'config', '--lang', 'en'], { LANG: 'ja_JP.UTF-8' });
    expect(en.out.join('\n')).toContain('What to do:');
  });

  it('refuses an unknown check name with exit 2', async () => {
    const { out, code } = await doctor(['--only', 'serial,flux', '--lang', 'en']);
    expect(out.join('\n')).toContain('unknown check flux');
    expect(code).toBe(2);
  });

  it('cuts off a check that hangs, and turns a throwing check into a fail', async () => {
    const hangs: Check = { id: 'hangs', title: text('hangs', 'hangs'), timeoutMs: () => 100, run: () => new Promise(() => undefined) };
    const throws: Check = { id: 'throws', title: text('throws', 'throws'), timeoutMs: () => 1000, run: async () => Promise.reject(new Error('bad input')) };
    expect(await runCheck(hangs, doctorContext({}))).toMatchObject({ status: 'fail', message: { en: 'did not finish within 0.1 s' } });
    expect(await runCheck(throws, doctorContext({}))).toMatchObject({ status: 'fail', message: { en: 'the check itself failed: bad input' } });
  });
});
