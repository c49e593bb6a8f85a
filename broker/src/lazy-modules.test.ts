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
  it('importing the broker package loads neither sharp nor nodemailer', () => {
    const loaded = loadedAfter("await import('@mieruka/broker');");
    expect(loaded.some((f) => f.includes('/better-sqlite3/')), 'the probe sees CommonJS modules').toBe(true);
    expect(loaded.filter((f) => /\/node_modules\/(sharp|nodemailer)\//.test(f))).toEqual([]);
  });

  it("turns off mqtt-packet's packet-id buffer table in the copy aedes uses", () => {
    const mqttPacket = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
    mqttPacket.writeToStream.cacheNumbers = true;
    expect(disablePacketNumberCache()).toBe(true);
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
  });
});
