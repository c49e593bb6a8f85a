/**
 * The hub's resident memory: modules a hub may never need are loaded on first use, and the
 * encoder's table of 65 536 packet-id buffers is off (docs/performance.md, "Memory").
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { disablePacketNumberCache } from './packet-number-cache.js';

/** CommonJS modules loaded by a fresh Node process after `script` (an ES module body). */
function loadedAfter(script: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `${script}\nimport { createRequire } from 'node:module';\nprocess.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`], {
    cwd: new URL('../', import.meta.url).pathname,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

describe('hub memory', () => {
  it('importing the broker package loads neither sharp, nodemailer nor pg', () => {
    const loaded = loadedAfter("await import('@mieruka/broker');");
    expect(loaded.some((f) => f.includes('/better-sqlite3/')), 'the probe sees CommonJS modules').toBe(true);
    expect(loaded.filter((f) => /\/node_modules\/(sharp|nodemailer|pg|pg-protocol)\//.test(f))).toEqual([]);
  });

  it('a hub without hub.cluster loads no Redis module (ioredis, mqemitter-redis, aedes-persistence-redis), even once started', () => {
    // A started single hub: the import of the fleet-mode broker state happens only with hub.cluster.
    const loaded = loadedAfter(`
      import { mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      import { pino } from 'pino';
      import { parseConfig } from '@mieruka/protocol';
      const { Hub } = await import('@mieruka/broker');
      const dir = mkdtempSync(join(tmpdir(), 'mieruka-lazy-'));
      const config = parseConfig({ text: JSON.stringify({ hub: { dataDir: dir, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } } }) });
      const hub = new Hub({ config, logger: pino({ level: 'silent' }) });
      await hub.start();
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });`);
    expect(loaded.some((f) => f.includes('/aedes-persistence-level/')), 'the probe sees the LevelDB persistence the hub loaded').toBe(true);
    const redisModules = (files: string[]) => files.filter((f) => /\/node_modules\/(ioredis|mqemitter-redis|aedes-persistence-redis)\//.test(f));
    expect(redisModules(loaded)).toEqual([]);
    // The control: the fleet-mode broker state itself does load them, so the probe would see them.
    const fleet = loadedAfter(`await import(${JSON.stringify(new URL('../dist/mqtt/redis-broker-state.js', import.meta.url).pathname)});`);
    expect(redisModules(fleet).length).toBeGreaterThan(0);
  });

  it('the PostgreSQL leadership loads pg only once started (a single Pi leads with SoleLeadership and never loads it)', () => {
    const pgModules = (files: string[]) => files.filter((f) => /\/node_modules\/(pg|pg-protocol)\//.test(f));
    const leadership = JSON.stringify(new URL('../dist/cluster/postgres-leadership.js', import.meta.url).pathname);
    expect(pgModules(loadedAfter(`await import(${leadership});`))).toEqual([]);
    // The control: started (here against a port where nothing listens: it tries once and
    // resolves), it does load pg, so the probe would see it.
    const started = loadedAfter(`
      import { pino } from 'pino';
      const { PostgresLeadership } = await import(${leadership});
      const l = new PostgresLeadership({ url: 'postgres://mieruka@127.0.0.1:1/none', hubId: 'probe', logger: pino({ level: 'silent' }) });
      await l.start();
      await l.stop();`);
    expect(pgModules(started).length).toBeGreaterThan(0);
  });

  it("turns off mqtt-packet's packet-id buffer table in the copy aedes uses", () => {
    const mqttPacket = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
    mqttPacket.writeToStream.cacheNumbers = true;
    expect(disablePacketNumberCache()).toBe(true);
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
  });
});
