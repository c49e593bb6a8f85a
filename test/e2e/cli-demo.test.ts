/**
 * The README's first command as a user runs it (built CLI, real processes): the demo prints
 * its URLs, mosquitto_sub sees status, current, state and clutter, the dashboard answers,
 * and Ctrl-C (SIGINT) stops everything, leaving no child process (socat) behind.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../helpers/dashboard-client.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));

describe('mieruka CLI', () => {
  it.each(['demo', 'hub', 'bridge'])('%s --help explains itself', async (cmd) => {
    const r = await runCommand('node', [CLI, cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Usage: mieruka ${cmd}`));
  });

  it('reports every config problem at once and exits 2', async () => {
    const dir = await makeTempDir();
    try {
      const file = join(dir.path, 'bad.yaml');
      await writeFile(file, 'site: Bad Site\nhub:\n  mqtt:\n    port: 99999\n');
      const r = await runCommand('node', [CLI, 'hub', '--config', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/2 problem/);
      expect(r.stderr).toMatch(/site:/);
      expect(r.stderr).toMatch(/hub\.mqtt\.port/);
    } finally {
      await dir.remove();
    }
  });

  it('bridge without a node id says what is missing', async () => {
    const r = await runCommand('node', [CLI, 'bridge', '--port', '/dev/null-does-not-exist']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--node/);
  });
});

describe('mieruka demo', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let demo: ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  let exit: Promise<number | null>;

  beforeAll(async () => {
    dir = await makeTempDir();
    demo = spawn('node', [CLI, 'demo', '--http-port', '0', '--mqtt-port', '0', '--data-dir', join(dir.path, 'data'), '--admin-password', 'demo-password-1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    demo.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    exit = new Promise((resolve) => demo.on('exit', (code) => resolve(code)));
    await waitFor(() => /Ctrl-C/.test(stdout) || demo.exitCode !== null, 'the demo to print its banner', 60_000);
    if (demo.exitCode !== null) throw new Error(`demo exited early: ${stderr}`);
  });

  afterAll(async () => {
    if (demo && demo.exitCode === null) demo.kill('SIGKILL');
    await dir?.remove();
  });

  const ports = () => {
    const http = /http:\/\/localhost:(\d+)\//.exec(stdout);
    const mqtt = /mqtt:\/\/localhost:(\d+)/.exec(stdout);
    if (!http || !mqtt) throw new Error(`no URLs in demo output:\n${stdout}`);
    return { http: Number(http[1]), mqtt: Number(mqtt[1]) };
  };

  it('says in its banner that it backfilled 30 days of history', () => {
    expect(stdout).toMatch(/History \/ 履歴: +30 days backfilled \(\d+ messages, \d+ alarms acknowledged, [1-9]\d* quality entries, [1-9]\d* stop reasons\) in [\d.]+ s/);
  });

  it('publishes status, current, state and clutter, seen by mosquitto_sub', async () => {
    const { mqtt } = ports();
    // -W bounds mosquitto_sub's run time; we read what it printed.
    const r = await runCommand('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mqtt), '-t', 'mieruka/v1/#', '-v', '-W', '30'], 40_000);
    const kinds = new Set(
      r.stdout
        .split('\n')
        .map((line) => /^mieruka\/v1\/[a-z0-9-]+\/[a-z0-9-]+\/([a-z]+) /.exec(line)?.[1])
        .filter(Boolean),
    );
    for (const kind of ['status', 'current', 'state', 'clutter']) expect(kinds, `kinds seen: ${[...kinds].join(',')}`).toContain(kind);
  });

  it('serves the dashboard and its API behind the login', async () => {
    const { http } = ports();
    const base = `http://127.0.0.1:${http}`;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="app"|<script/);
    expect((await fetch(`${base}/api/nodes`)).status).toBe(401);
    const cookie = await login(base, 'admin', 'demo-password-1');
    const { nodes } = (await (await fetch(`${base}/api/nodes`, { headers: { cookie } })).json()) as { nodes: Array<{ node: string }> };
    const ids = nodes.map((n) => n.node).sort();
    expect(ids).toEqual(expect.arrayContaining(['bench-1', 'lathe-1', 'mill-1']));
  });

  it('stops cleanly on Ctrl-C and leaves no child process', async () => {
    demo.kill('SIGINT');
    const code = await exit;
    expect(code, stderr).toBe(0);
    const left = await runCommand('pgrep', ['-f', dir.path]);
    expect(left.stdout.trim()).toBe('');
  });
});
