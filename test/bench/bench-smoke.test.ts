/**
 * `npm run bench` is not part of the test command, but a smoke pass of it is: every benchmark
 * runs with tiny sizes (MIERUKA_BENCH_SMOKE=1), which still checks what it measures (nothing
 * lost, answers equal to the reference's), so a benchmark cannot rot between the times someone
 * runs it for real. No timing is asserted here.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_DIR = `${ROOT}scripts/bench/`;
const benches = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace(/\.bench\.mjs$/, ''))
  .sort();

let results: { path: string; remove(): Promise<void> };
let run: { code: number | null; output: string };

beforeAll(async () => {
  results = await makeTempDir('mieruka-bench-smoke-');
  run = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${BENCH_DIR}run.mjs`], {
      cwd: ROOT,
      env: { ...process.env, MIERUKA_BENCH_SMOKE: '1', MIERUKA_BENCH_RESULTS_DIR: results.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}, 300_000);

afterAll(async () => {
  await results?.remove();
});

describe('npm run bench, smoke pass', () => {
  it('finds the benchmarks', () => {
    expect(benches).toEqual(expect.arrayContaining(['clutter', 'serial-to-browser-latency', 'serial-parse']));
  });

  it('runs every benchmark to the end', () => {
    expect(run.output).toContain(`${benches.length}/${benches.length} benchmarks done`);
    expect(run.code).toBe(0);
  });

  it.each(benches)('%s saves its smoke result with the machine it ran on', (bench) => {
    const saved = JSON.parse(readFileSync(`${results.path}/${bench}-smoke.json`, 'utf8')) as { name: string; smoke: boolean; environment: { cores: number } };
    expect(saved.smoke).toBe(true);
    expect(saved.environment.cores).toBeGreaterThan(0);
  });
});
