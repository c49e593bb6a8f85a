/**
 * `mieruka bridge` as a user runs it (built CLI, `npx tsc -b` first): a simulated ESP32 on a
 * socat pty, an aedes broker on 127.0.0.1, the bridge in a child process with the issue's
 * `--cal <ch> <factor>` form and `--print`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Esp32Simulator, PtyPair } from '@mieruka/firmware-bridge';
import { decodeMessage, parseSerialLine, type PayloadOf } from '@mieruka/protocol';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { collectCal, type CalArgs } from './bridge-command.js';
import { startTestBroker } from '../../test/helpers/aedes-broker.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));

describe('bridge --cal', () => {
  const parse = (...values: string[]) => values.reduce<CalArgs>((acc, v) => collectCal(v, acc), { pairs: [], channel: null });

  it('takes the issue form <ch> <factor>, the short form <ch>:<factor>, repeated and mixed', () => {
    expect(parse('0', '30')).toEqual({ pairs: [{ channel: 0, ampsPerVolt: 30 }], channel: null });
    expect(parse('0', '30', '1:20.5', '2', '100')).toEqual({
      pairs: [
        { channel: 0, ampsPerVolt: 30 },
        { channel: 1, ampsPerVolt: 20.5 },
        { channel: 2, ampsPerVolt: 100 },
      ],
      channel: null,
    });
    // A channel still waiting for its factor (the command refuses to start with it).
    expect(parse('3')).toEqual({ pairs: [], channel: 3 });
  });

  it.each([['x'], ['0', 'y'], ['16', '30'], ['0', '0'], ['0.5', '30'], ['0:-1']])('rejects %j', (...values) => {
    expect(() => parse(...values)).toThrow(/--cal <channel> <amps-per-volt>/);
  });
});

describe('mieruka bridge on a pty', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('sends the --cal calibration after each hello, prints readings, and publishes them unchanged', async () => {
    const { url, close: closeBroker } = await startTestBroker();
    cleanups.push(closeBroker);
    const sub = await connectAsync(url, { reconnectPeriod: 0 });
    cleanups.push(() => sub.endAsync());
    const readings: number[][] = [];
    sub.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.ok && d.message.kind === 'current') readings.push((d.message.payload as PayloadOf<'current'>).irms);
    });
    await sub.subscribeAsync('mieruka/v1/factory/mill-1/current', { qos: 1 });

    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());

    const bridge: ChildProcessWithoutNullStreams = spawn(
      'node',
      [CLI, 'bridge', '--port', pty.hostPath, '--mqtt', url, '--node', 'mill-1', '--cal', '0', '60', '--data-dir', tmp.path, '--print', '--log-level', 'warn'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    bridge.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    bridge.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => bridge.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (bridge.exitCode === null) bridge.kill('SIGKILL');
      await exited;
    });
    await waitFor(() => stdout.includes('Mieruka bridge:'), `the bridge to start (stderr: ${stderr})`);

    const simulator = new Esp32Simulator({ seed: 8, intervalMs: 50, timeScale: 20 });
    cleanups.push(() => simulator.stop());
    const commands: string[] = [];
    simulator.on('command', (c) => commands.push(c));
    const sent: number[][] = [];
    simulator.on('data', (bytes) => {
      const m = parseSerialLine(bytes.toString('latin1').replace(/\n$/, ''));
      if (m.ok && m.message.type === 'rms') sent.push(m.message.irms);
    });
    await simulator.connectToPath(pty.devicePath);
    // The boot hello gets the calibration; so does the hello answering an info from the hub.
    await waitFor(() => commands.includes('cal 0 60'), 'the calibration after the boot hello');
    await waitFor(async () => {
      await sub.publishAsync('mieruka/v1/factory/mill-1/cmd/info', JSON.stringify({ ts: Date.now() }), { qos: 1 });
      return commands.filter((c) => c === 'cal 0 60').length >= 2;
    }, 'the calibration after the hello answering info');
    expect(commands).toContain('info');
    await waitFor(() => readings.length >= 10, 'readings on MQTT');
    await waitFor(() => /seq \d+ {2}ch0 \d+\.\d{3} A/.test(stdout), 'a printed reading');
    expect(stdout).toMatch(/skipped \(not-json\): ets Jun/); // the boot banner, shown and skipped

    // Every reading the device wrote (the bridge had the port open first), same values, same order.
    const n = readings.length;
    expect(readings.slice(0, n)).toEqual(sent.slice(0, n));

    bridge.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGINT, stopping bridge/);
  });

  it('with quality buttons in the machine config: says what became of them and reads current all the same', async () => {
    const { url, close: closeBroker } = await startTestBroker();
    cleanups.push(closeBroker);
    const sub = await connectAsync(url, { reconnectPeriod: 0 });
    cleanups.push(() => sub.endAsync());
    let readings = 0;
    sub.on('message', () => readings++);
    await sub.subscribeAsync('mieruka/v1/factory/mill-1/current', { qos: 1 });
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());
    const config = join(tmp.path, 'mieruka.yaml');
    await writeFile(config, 'machines:\n  mill-1:\n    buttons:\n      good: { gpio: 17 }\n      scrap: { gpio: 27 }\n');
    const bridge = startBridge(['-c', config, '--port', pty.hostPath, '--mqtt', url, '--node', 'mill-1', '--data-dir', tmp.path, '--log-level', 'warn']);
    await waitFor(() => bridge.out().includes('Quality buttons:'), `the buttons line (stderr: ${bridge.err()})`);
    // Open on a Pi with GPIO access; elsewhere off, with the reason.
    expect(bridge.out()).toMatch(/Quality buttons: good GPIO 17 (open|off: .+), scrap GPIO 27 (open|off: .+)/);
    const simulator = new Esp32Simulator({ seed: 9, intervalMs: 50 });
    cleanups.push(() => simulator.stop());
    await simulator.connectToPath(pty.devicePath);
    await waitFor(() => readings >= 5, 'readings on MQTT');
    bridge.child.kill('SIGINT');
    expect(await bridge.exited).toBe(0);
  });

  function startBridge(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string; exited: Promise<number | null> } {
    const child = spawn('node', [CLI, 'bridge', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    return { child, out: () => stdout, err: () => stderr, exited };
  }

  it('starts while the hub is down, queues on disk across a SIGKILL and a restart, and delivers every queued reading in order once the hub is up', async () => {
    const probe = await startTestBroker();
    await probe.close(); // the hub is down: nothing listens on this port yet
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());
    const args = ['--port', pty.hostPath, '--mqtt', `mqtt://127.0.0.1:${probe.port}`, '--node', 'mill-1', '--data-dir', tmp.path, '--log-level', 'error'];
    const outbox = join(tmp.path, 'outbox-factory-mill-1.db');
    const queuedCurrent = (): Array<{ seq: number; irms: number[] }> => {
      const db = new Database(outbox, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare("SELECT payload FROM outbox WHERE topic LIKE '%/current' ORDER BY id").all() as Array<{ payload: Buffer }>).map((r) => JSON.parse(r.payload.toString()) as { seq: number; irms: number[] });
      } finally {
        db.close();
      }
    };

    const first = startBridge(args);
    await waitFor(() => first.out().includes('Mieruka bridge:'), `the bridge to start without its hub (stderr: ${first.err()})`);
    const simulator = new Esp32Simulator({ seed: 5, intervalMs: 50, timeScale: 20, bootNoise: false });
    cleanups.push(() => simulator.stop());
    const sent: number[][] = [];
    simulator.on('data', (bytes) => {
      const m = parseSerialLine(bytes.toString('latin1').replace(/\n$/, ''));
      if (m.ok && m.message.type === 'rms') sent.push(m.message.irms);
    });
    await simulator.connectToPath(pty.devicePath);
    await waitFor(() => queuedCurrent().length >= 20, 'readings queued on disk while the hub is down');
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeKill = queuedCurrent();
    // The bridge had the port open first: the queue holds what the device wrote, in order.
    expect(beforeKill.map((r) => r.irms)).toEqual(sent.slice(0, beforeKill.length));

    const second = startBridge(args);
    await waitFor(() => second.out().includes('Mieruka bridge:'), `the bridge to start again (stderr: ${second.err()})`);
    await waitFor(() => queuedCurrent().length >= beforeKill.length + 10, 'more readings queued after the restart');

    const broker = await startTestBroker(probe.port);
    cleanups.push(() => broker.close());
    const received: number[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client && packet.topic === 'mieruka/v1/factory/mill-1/current') received.push((JSON.parse(packet.payload.toString()) as { seq: number }).seq);
    });
    await waitFor(() => received.length >= beforeKill.length + 10 && queuedCurrent().length === 0, 'the backlog at the hub');
    expect(received.slice(0, beforeKill.length)).toEqual(beforeKill.map((r) => r.seq));
    // Once each, in order, live readings after the backlog.
    expect(received.every((seq, i) => i === 0 || seq > received[i - 1]!)).toBe(true);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});
