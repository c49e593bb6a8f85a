/** PnsClient against the PNS device simulator on 127.0.0.1: every reply scenario, exact bytes. */
import { afterEach, describe, expect, it } from 'vitest';
import { PnsClient } from './pns-client.js';
import { PnsSimulator, type PnsSimulatorOptions } from './pns-simulator.js';
import { parseSignalSpec } from './tower-signal.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('PnsClient', () => {
  const sims: PnsSimulator[] = [];
  afterEach(async () => {
    for (const s of sims.splice(0)) await s.stop();
  });

  async function simulator(options: PnsSimulatorOptions): Promise<PnsSimulator> {
    const sim = new PnsSimulator(options);
    await sim.start();
    sims.push(sim);
    return sim;
  }

  it('NH: sends the S frame, resolves on ACK, reads the status back', async () => {
    const sim = await simulator({ model: 'nh' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'nh' });
    await client.show(parseSignalSpec('red=on,amber=blink,buzzer=2'));
    expect(sim.connections[0]).toEqual(hex('58 58 53 00 00 06 01 02 00 00 00 02'));
    expect(await client.status()).toEqual({ model: 'nh', units: [1, 2, 0, 0, 0], buzzer: 2 });
    expect(sim.connections[1]).toEqual(hex('58 58 47 00 00 00'));
    await client.clear();
    expect(sim.connections[2]).toEqual(hex('58 58 43 00 00 00'));
    expect(sim.state.units).toEqual([0, 0, 0, 0, 0]);
  });

  it('LA6: the D frame, then the 15-byte status split into single bytes', async () => {
    const sim = await simulator({ model: 'la6', splitReplies: true });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'la6' });
    await client.show(parseSignalSpec('red=on,amber=on,green=on'));
    expect(sim.connections[0]).toEqual(hex('41 42 44 00 00 07 01 02 04 00 00 00 00'));
    expect(await client.status()).toEqual({ model: 'la6', inputs: [0, 0, 0, 0, 0, 0, 0, 0], mode: 'signal-light', units: [1, 1, 1, 0, 0], buzzer: 0 });
  });

  it('NAK → PATLITE_NAK naming the command', async () => {
    const sim = await simulator({ model: 'nh', scenario: 'nak' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'nh' });
    await expect(client.clear()).rejects.toMatchObject({ code: 'PATLITE_NAK', message: expect.stringMatching(/NAK to the C command/) });
    await expect(client.status()).rejects.toMatchObject({ code: 'PATLITE_NAK' });
  });

  it('a tower of the other family refuses the category with NAK', async () => {
    const sim = await simulator({ model: 'nh' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'la6' });
    await expect(client.clear()).rejects.toMatchObject({ code: 'PATLITE_NAK' });
    expect(sim.frames[0]).toMatchObject({ category: 'AB', command: 'C' });
  });

  it('garbage → PATLITE_BAD_REPLY with the bytes', async () => {
    const sim = await simulator({ model: 'la6', scenario: 'garbage' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'la6', timeoutMs: 30_000 });
    await expect(client.show(parseSignalSpec('red=on'))).rejects.toMatchObject({ code: 'PATLITE_BAD_REPLY', message: expect.stringMatching(/48 54 54 50/) });
    await expect(client.status()).rejects.toMatchObject({ code: 'PATLITE_BAD_REPLY' });
  });

  it('no answer → PATLITE_TIMEOUT "did not answer"', async () => {
    const sim = await simulator({ model: 'nh', scenario: 'silent' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'nh', timeoutMs: 200 });
    await expect(client.clear()).rejects.toMatchObject({ code: 'PATLITE_TIMEOUT', message: expect.stringMatching(/did not answer within 200 ms \(connected, but no reply/) });
    expect(sim.frames).toHaveLength(1);
  });

  it('closed without an answer → PATLITE_CONNECTION_FAILED', async () => {
    const sim = await simulator({ model: 'nh', scenario: 'close' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'nh', timeoutMs: 30_000 });
    await expect(client.clear()).rejects.toMatchObject({ code: 'PATLITE_CONNECTION_FAILED', message: expect.stringMatching(/closed the connection/) });
  });

  it('nobody listening → PATLITE_CONNECTION_FAILED "refused"', async () => {
    const sim = await simulator({ model: 'nh' });
    const port = sim.port;
    await sim.stop();
    const client = new PnsClient({ host: '127.0.0.1', port, model: 'nh', timeoutMs: 30_000 });
    await expect(client.clear()).rejects.toMatchObject({ code: 'PATLITE_CONNECTION_FAILED', message: expect.stringMatching(/refused the connection/) });
  });

  it('holds one connection at a time: concurrent commands queue, in order', async () => {
    const sim = await simulator({ model: 'nh', splitReplies: true });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'nh' });
    await Promise.all([client.show(parseSignalSpec('red=on')), client.status(), client.show(parseSignalSpec('green=on')), client.clear()]);
    expect(sim.frames.map((f) => f.command)).toEqual(['S', 'G', 'S', 'C']);
    expect(sim.connections).toHaveLength(4);
    expect(sim.maxConcurrent).toBe(1);
  });

  it('a failed command does not stop the next one', async () => {
    const sim = await simulator({ model: 'nh', scenario: 'nak' });
    const client = new PnsClient({ host: '127.0.0.1', port: sim.port, model: 'nh' });
    const first = client.clear();
    const second = client.clear();
    await expect(first).rejects.toMatchObject({ code: 'PATLITE_NAK' });
    sim.scenario = 'normal'; // the second command is still queued behind the first
    await expect(second).resolves.toBeUndefined();
  });
});
