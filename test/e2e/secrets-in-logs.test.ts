/**
 * Secrets never reach a log (issue 14, item 7): the built CLI, real processes at debug level,
 * a config with a secret in every secret place (test/fixtures/secret-canaries.json). Everything
 * the hub and a bridge print while starting, working and failing is scanned for them. The
 * whole suite's output is scanned for the same values by scripts/scan-secrets.mjs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
const { canaries } = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/secret-canaries.json', import.meta.url)), 'utf8')) as { canaries: string[] };
const [admin, smtp, ack, kiosk, hookToken, hookHeader, clutterHook, bridgePw, cameraPw, , metricsToken] = canaries as [string, string, string, string, string, string, string, string, string, string, string];

function configYaml(dataDir: string): string {
  return `site: factory
log:
  level: debug
hub:
  dataDir: ${JSON.stringify(dataDir)}
  mqtt: { host: 127.0.0.1, port: 0 }
  http: { host: 127.0.0.1, port: 0 }
  clutterWebhook: { url: "https://hooks.example.invalid/exec/${clutterHook}" }
  metrics: { token: ${metricsToken} }
dashboard:
  adminPassword: ${admin}
  kiosk: { enabled: true, token: ${kiosk} }
alerts:
  ackSecret: ${ack}
  smtp: { host: 127.0.0.1, port: 9, user: alerts@example.invalid, password: ${smtp} }
  webhooks:
    - { name: chat, url: "https://hooks.example.invalid/services/${hookToken}", headers: { Authorization: "Bearer ${hookHeader}" } }
bridge:
  mqttUrl: "mqtt://factory%2Fmill-1:${bridgePw}@127.0.0.1:1"
stations:
  bench1: { camera: { type: rtsp, url: "rtsp://admin:${cameraPw}@127.0.0.1:9/stream" } }
`;
}

const leaked = (text: string) => canaries.filter((c) => text.includes(c));

describe('secrets in logs', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('the hub and a bridge at debug level print no secret while starting, refusing and failing', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const config = join(dir.path, 'mieruka.yaml');
    await writeFile(config, configYaml(join(dir.path, 'data')));

    const hub: ChildProcessWithoutNullStreams = spawn('node', [CLI, 'hub', '--config', config], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(() => hub.exitCode === null && hub.kill('SIGKILL'));
    let hubOut = '';
    hub.stdout.on('data', (d: Buffer) => (hubOut += d.toString()));
    hub.stderr.on('data', (d: Buffer) => (hubOut += d.toString()));
    const hubExit = new Promise<number | null>((resolve) => hub.on('exit', (code) => resolve(code)));
    await waitFor(() => /Mieruka hub: MQTT mqtt:\/\/[^:]+:\d+/.test(hubOut) || hub.exitCode !== null, 'the hub banner', 30_000);
    expect(hub.exitCode, hubOut).toBeNull();
    const mqttPort = Number(/Mieruka hub: MQTT mqtt:\/\/[^:]+:(\d+)/.exec(hubOut)?.[1]);

    // Prometheus: the token is taken, and a wrong one (its first half) refused and logged.
    const metricsUrl = `${/dashboard (http:\/\/\S+)/.exec(hubOut)?.[1]}/metrics`;
    const scrape = async (token: string) => {
      const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
      await res.body?.cancel();
      return res.status;
    };
    expect(await scrape(metricsToken)).toBe(200);
    expect(await scrape(metricsToken.slice(0, 20))).toBe(401);

    // A bridge with a password the hub does not know: refused (no such account), says so, exits.
    const bridge = await runCommand(
      'node',
      [CLI, 'bridge', '--config', config, '--node', 'mill-1', '--port', join(dir.path, 'no-serial'), '--log-level', 'debug', '--mqtt', `mqtt://factory%2Fmill-1:${bridgePw}@127.0.0.1:${mqttPort}`],
      30_000,
    );
    // A bridge whose broker does not answer (the config's URL, port 1) keeps its readings and
    // retries; its log names the URL.
    const offline = spawn('node', [CLI, 'bridge', '--config', config, '--node', 'mill-1', '--port', join(dir.path, 'no-serial'), '--data-dir', join(dir.path, 'edge')], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(() => offline.exitCode === null && offline.kill('SIGKILL'));
    let offlineOut = '';
    offline.stdout.on('data', (d: Buffer) => (offlineOut += d.toString()));
    offline.stderr.on('data', (d: Buffer) => (offlineOut += d.toString()));
    const offlineExit = new Promise<number | null>((resolve) => offline.on('exit', (code) => resolve(code)));
    await waitFor(() => /broker unreachable/.test(offlineOut) || offline.exitCode !== null, 'the offline bridge to say the broker is unreachable', 30_000);
    offline.kill('SIGINT');
    await offlineExit;

    hub.kill('SIGINT');
    expect(await hubExit).toBe(0);

    const all = [hubOut, bridge.stdout, bridge.stderr, offlineOut].join('\n');
    expect(leaked(all)).toEqual([]);
    // The places the secrets would have been: the config logged by both, the refusal, the URLs.
    expect(hubOut).toContain('"msg":"starting hub"');
    expect(hubOut).toContain('rtsp://***@127.0.0.1:9/stream');
    expect(bridge.stdout + bridge.stderr).toContain('"msg":"starting bridge"');
    expect(bridge.code).not.toBe(0);
    expect(bridge.stderr).toMatch(/mqtt:\/\/\*\*\*@127\.0\.0\.1/);
    expect(hubOut).toMatch(/MQTT connect refused/);
    expect(hubOut).toMatch(/metrics request refused/);
    expect(offlineOut).toMatch(/mqtt:\/\/\*\*\*@127\.0\.0\.1:1\b/);
  });
});
