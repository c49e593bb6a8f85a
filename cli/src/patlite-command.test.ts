/**
 * `mieruka patlite` as an installer runs it: the built CLI (run `npx tsc -b` first) in a child
 * process against the PNS device simulator on 127.0.0.1; exact bytes, exit codes, messages.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../test/helpers/run-command.js';
import { PnsSimulator, type PnsSimulatorOptions } from '@mieruka/broker';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
const patlite = (...args: string[]) => runCommand('node', [CLI, 'patlite', ...args], 30_000);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('mieruka patlite', () => {
  const sims: PnsSimulator[] = [];
  afterEach(async () => {
    for (const s of sims.splice(0)) await s.stop();
  });

  async function simulator(options: PnsSimulatorOptions) {
    const sim = new PnsSimulator(options);
    await sim.start();
    sims.push(sim);
    return { sim, at: ['--host', '127.0.0.1', '--port', String(sim.port), '--model', options.model] };
  }

  it('--set on an NH tower: ACK → exit 0, the exact S frame on the wire', async () => {
    const { sim, at } = await simulator({ model: 'nh' });
    const r = await patlite(...at, '--set', 'red=on,amber=blink,green=off,buzzer=1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sim.bytes).toEqual(hex('58 58 53 00 00 06 01 02 00 00 00 01'));
    expect(r.stdout).toMatch(/sending 58 58 53 00 00 06 01 02 00 00 00 01/);
    expect(r.stdout).toMatch(/ACK — red on, amber blink, buzzer 1/);
  });

  it('--set on an LA6 tower sends the reference D frame; --clear the C frame', async () => {
    const { sim, at } = await simulator({ model: 'la6' });
    expect((await patlite(...at, '--set', 'red=on,amber=on,green=on')).code).toBe(0);
    expect((await patlite(...at, '--clear')).code).toBe(0);
    expect(sim.connections).toEqual([hex('41 42 44 00 00 07 01 02 04 00 00 00 00'), hex('41 42 43 00 00 00')]);
  });

  it('--status prints the decoded status', async () => {
    const { sim, at } = await simulator({ model: 'la6' });
    await patlite(...at, '--set', 'red=blink,buzzer=2', '--la6-command', 'S');
    const r = await patlite(...at, '--status');
    expect(r.code).toBe(0);
    expect(sim.connections[1]).toEqual(hex('41 42 47 00 00 00'));
    expect(r.stdout).toMatch(/mode: signal-light mode/);
    expect(r.stdout).toMatch(/unit 1: blink/);
    expect(r.stdout).toMatch(/unit 2: off/);
    expect(r.stdout).toMatch(/buzzer: pattern 2/);
  });

  it('NAK → non-zero exit naming the NAK', async () => {
    const { at } = await simulator({ model: 'nh', scenario: 'nak' });
    const r = await patlite(...at, '--clear');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PATLITE_NAK: .*answered NAK to the C command/);
  });

  it('no answer → non-zero exit saying the tower did not answer', async () => {
    const { at } = await simulator({ model: 'nh', scenario: 'silent' });
    const r = await patlite(...at, '--set', 'green=on', '--timeout-ms', '300');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/did not answer within 300 ms/);
  });

  it('garbage → non-zero exit with the bytes received', async () => {
    const { at } = await simulator({ model: 'la6', scenario: 'garbage' });
    const r = await patlite(...at, '--status');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PATLITE_BAD_REPLY: .*48 54 54 50/);
  });

  it('nobody listening → non-zero exit saying the connection was refused', async () => {
    const { sim, at } = await simulator({ model: 'nh' });
    await sim.stop();
    const r = await patlite(...at, '--clear');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused the connection/);
  });

  it.each([
    ['no action', [] as string[], /exactly one of --set/],
    ['two actions', ['--clear', '--status'], /exactly one of --set/],
    ['an unknown tier', ['--set', 'purple=on'], /not a tier/],
    ['an unknown model', ['--model', 'xyz', '--clear'], /la6.*nh/],
    ['buzzer 4 with the LA6 S command', ['--set', 'red=on,buzzer=4', '--la6-command', 'S'], /buzzer must be 0–3/],
  ])('refuses %s before sending anything', async (_what, args, message) => {
    const { sim, at } = await simulator({ model: 'la6' });
    const r = await patlite(...at, ...args); // a later --model overrides the first
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(sim.connections).toEqual([]);
  });
});
