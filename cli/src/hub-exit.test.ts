/**
 * "Stop leaves no handles": a hub started, used and stopped in a child process must let that
 * process exit by itself. The child is bundled from TypeScript with esbuild (Vite's own
 * compiler) into node_modules/.cache so plain node resolves the installed packages.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, waitFor } from '../../broker/src/test-support/helpers.js';
import { bundleChild } from '../../test/helpers/bundle-child.js';

describe('Hub stop', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('leaves nothing behind: the process exits by itself after hub.stop()', async () => {
    const bundle = await bundleChild(fileURLToPath(new URL('./test-support/hub-lifecycle-child.ts', import.meta.url)), 'mieruka-hub-exit-');
    cleanups.push(() => bundle.remove());
    const data = await makeTempDir();
    cleanups.push(() => data.remove());

    const outfile = bundle.script;

    const child = spawn(process.execPath, [outfile, join(data.path, 'hub')], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));

    // Bounded: a hub that leaks a handle keeps the child alive and this fails with what is still active.
    await waitFor(() => exitCode !== undefined, `the child to exit by itself (stdout: ${stdout} stderr: ${stderr})`, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`);
    });
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n')[0] ?? '{}') as { stopped?: boolean; rows?: number; mqttPort?: number };
    expect(report.stopped).toBe(true);
    // The final flush on stop wrote what was queued (flush interval was 5 s, far longer than the run).
    expect(report.rows).toBeGreaterThanOrEqual(2);
  });
});
