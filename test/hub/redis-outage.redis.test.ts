/**
 * Fleet mode with Redis away (issue 17): a hub whose Redis is down at start waits with a capped
 * back-off and a clear log line (never a crash, never the password), starts once Redis answers,
 * and can be stopped while it waits; Redis lost while the hub runs is logged, counted and shown
 * in the hub's stats and metrics, and routing works again once Redis is back.
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, waitFor } from '../../broker/src/test-support/helpers.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';

const PASSWORD = 'redis-secret-pw-417';

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('a fleet hub when Redis is away', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup(): Promise<{ redis: RunningRedis; hub: Hub; lines: string[] }> {
    const redis = await startRedis({ password: PASSWORD });
    cleanups.push(() => redis.stop());
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const { logger, lines } = capturingLogger();
    const hub = createHub({ config: hubConfig(dir.path, { hub: { cluster: { redisUrl: redis.url, hubId: 'hub-x' } } }), logger });
    cleanups.push(() => hub.stop());
    return { redis, hub, lines };
  }

  it('waits for Redis at start with a clear, password-free log line, then starts', async () => {
    const { redis, hub, lines } = await setup();
    await redis.halt();
    let started = false;
    let failed: unknown = null;
    const starting = hub.start().then(
      () => (started = true),
      (err: unknown) => (failed = err),
    );
    await waitFor(() => lines.some((l) => l.includes('Redis error')), 'the hub to log that Redis is away');
    expect(started).toBe(false);
    expect(failed).toBe(null);
    const line = lines.find((l) => l.includes('Redis error')) ?? '';
    expect(line).toContain(`redis://***@127.0.0.1:${redis.port}`);
    expect(line).toMatch(/ECONNREFUSED/);

    await redis.restart();
    await starting;
    expect(failed).toBe(null);
    expect(started).toBe(true);
    expect(hub.stats().cluster?.redis?.connected).toBe(true);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('can be stopped while it waits for Redis', async () => {
    const { redis, hub, lines } = await setup();
    await redis.halt();
    const starting = hub.start().then(
      () => 'started',
      () => 'gave up',
    );
    await waitFor(() => lines.some((l) => l.includes('Redis error')), 'the hub to log that Redis is away');
    await hub.stop();
    expect(await starting).toBe('gave up');
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('counts and shows a lost Redis while running, and routes again once it is back', async () => {
    const { redis, hub, lines } = await setup();
    await hub.start();
    const metric = async (name: string) => (await hub.metrics.render()).text.split('\n').find((l) => l.startsWith(`${name}{`)) ?? '';
    expect(await metric('mieruka_cluster_redis_up')).toBe('mieruka_cluster_redis_up{hub="hub-x"} 1');
    expect(hub.stats().cluster?.redis).toMatchObject({ connected: true, disconnects: 0 });

    await redis.halt(true);
    await waitFor(() => hub.stats().cluster?.redis?.connected === false, 'the hub to notice Redis is gone');
    expect(hub.stats().cluster?.redis?.disconnects).toBeGreaterThanOrEqual(1);
    // Refused reconnects happen (each connection's errors are handled, none is uncaught).
    const errorsAtLoss = hub.stats().cluster?.redis?.errors ?? 0;
    await waitFor(() => (hub.stats().cluster?.redis?.errors ?? 0) >= errorsAtLoss + 3, 'refused reconnect attempts');
    expect(lines.some((l) => l.includes('Redis connection lost'))).toBe(true);
    expect(await metric('mieruka_cluster_redis_up')).toBe('mieruka_cluster_redis_up{hub="hub-x"} 0');
    expect(await metric('mieruka_cluster_redis_disconnects_total')).toMatch(/^mieruka_cluster_redis_disconnects_total\{hub="hub-x"\} [1-9]/);

    await redis.restart();
    await waitFor(() => hub.stats().cluster?.redis?.connected === true, 'the hub to reconnect');
    // A message makes the round trip through Redis pub/sub again.
    const c = await connectClient(hub.mqttUrl);
    cleanups.push(() => closeClient(c));
    const got: string[] = [];
    c.on('message', (_t, p) => got.push(p.toString()));
    const topic = topicFor('factory', 'mill-o', 'current');
    const payload = encodePayload('current', { ts: Date.now(), seq: 1, irms: [2.5] }).toString();
    await c.subscribeAsync(topic, { qos: 1 });
    await c.publishAsync(topic, payload, { qos: 1 });
    await waitFor(() => got.length > 0, 'the message after the outage');
    expect(got).toEqual([payload]);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('stops while Redis is away (nothing waits on it)', async () => {
    const { redis, hub } = await setup();
    await hub.start();
    const c = await connectClient(hub.mqttUrl);
    cleanups.push(() => closeClient(c));
    await redis.halt(true);
    await waitFor(() => hub.stats().cluster?.redis?.connected === false, 'the hub to notice Redis is gone');
    await hub.stop();
    expect(hub.stats().cluster?.redis?.connected).toBe(false);
  });
});
