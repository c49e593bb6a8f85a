/** The PATLITE check against the PNS simulator: a status request answered, and a closed port. */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PnsSimulator } from '@mieruka/broker';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { patliteCheck } from './patlite-check.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const tower = (port: number) => ({ alerts: { towers: [{ name: 'line-1', type: 'pns' as const, host: '127.0.0.1', port, model: 'la6' as const, timeoutMs: 1000 }] } });

describe('patlite check', () => {
  it('is ok when the tower answers a status request, and leaves its lamps alone', async () => {
    const sim = new PnsSimulator({ model: 'la6' });
    await sim.start();
    cleanups.push(() => sim.stop());
    const out = await patliteCheck.run(doctorContext(tower(sim.port)), neverAborted);
    expect(out.status).toBe('ok');
    expect(out.message.en).toContain(`line-1 (127.0.0.1:${sim.port}): answers`);
    expect(sim.frames.map((f) => f.command)).toEqual(['G']);
  });

  it('fails on a closed port', async () => {
    const out = await patliteCheck.run(doctorContext(tower(await closedPort())), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/refused the connection/);
    expect(out.fix?.en).toContain('mieruka patlite');
  });

  it('skips without a PNS tower', async () => {
    expect((await patliteCheck.run(doctorContext({}), neverAborted)).status).toBe('skip');
  });
});
