/**
 * The README installs with `npm ci`, which refuses a clean clone when package-lock.json and the
 * package.json files drift apart. scripts/check-lock.sh catches that here, offline: on the
 * repository itself, and on a copy of its manifests with a dependency added behind the lock's back.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CHECK = join(ROOT, 'scripts', 'check-lock.sh');

function check(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CHECK, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('package-lock.json', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('matches every package.json of the repository', async () => {
    const r = await check(ROOT);
    expect(r.output).toContain('package-lock.json matches every package.json');
    expect(r.code).toBe(0);
  });

  /** The manifests and the lock in a temp dir, laid out as in the repository. */
  async function copyOfManifests(): Promise<string> {
    const dir = await makeTempDir('mieruka-lock-');
    cleanups.push(dir.remove);
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    await copyFile(join(ROOT, 'package.json'), join(dir.path, 'package.json'));
    await copyFile(join(ROOT, 'package-lock.json'), join(dir.path, 'package-lock.json'));
    for (const ws of manifest.workspaces) {
      await mkdir(join(dir.path, ws), { recursive: true });
      await copyFile(join(ROOT, ws, 'package.json'), join(dir.path, ws, 'package.json'));
    }
    return dir.path;
  }

  it('is reported as drifted when a workspace gains a dependency the lock does not have', async () => {
    const dir = { path: await copyOfManifests() };
    expect((await check(dir.path)).code).toBe(0); // the copy is faithful

    const file = join(dir.path, 'broker', 'package.json');
    const broker = JSON.parse(await readFile(file, 'utf8')) as { dependencies: Record<string, string> };
    broker.dependencies['left-pad'] = '^1.3.0';
    await writeFile(file, JSON.stringify(broker));
    const r = await check(dir.path);
    expect(r.code).toBe(1);
    expect(r.output).toContain('package-lock.json does not match the package.json files: run `npm install` and commit package-lock.json');
    expect(r.output).toContain('left-pad');
  });

  it('is reported when it lacks the Raspberry Pi build of a native package', async () => {
    const dir = await copyOfManifests();
    const file = join(dir, 'package-lock.json');
    const lock = JSON.parse(await readFile(file, 'utf8')) as { packages: Record<string, unknown> };
    delete lock.packages['node_modules/@rollup/rollup-linux-arm64-gnu'];
    await writeFile(file, JSON.stringify(lock));
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(r.output).toContain('@rollup/rollup-linux-arm64-gnu');
  });
});
