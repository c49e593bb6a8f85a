/** The clutter webhook against a real node:http server on loopback, fed by real MQTT publishes to a hub. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';
import { ClutterWebhook, type ClutterWebhookBody } from './clutter-webhook.js';

type Received = { path: string; body: ClutterWebhookBody };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers each request with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[]): Promise<{ server: Server; url: string; received: Received[]; requests: () => number }> {
  const received: Received[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const status = statuses[Math.min(requests, statuses.length - 1)]!;
      requests += 1;
      if (status === 200) received.push({ path: req.url ?? '', body: JSON.parse(text) as ClutterWebhookBody });
      res.statusCode = status;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/macros/s/SECRET/exec`, received, requests: () => requests };
}

describe('clutter webhook', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function receiver(statuses: number[]) {
    const r = await startReceiver(statuses);
    cleanups.push(() => new Promise((resolve) => r.server.close(resolve)));
    cleanups.push(() => r.server.closeAllConnections());
    return r;
  }

  it('posts each score from MQTT once, retrying after a 500', async () => {
    const peer = await receiver([500, 200]);
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hub = new Hub({
      config: hubConfig(dir.path, {
        timezone: 'Asia/Tokyo',
        stations: { 'bench-1': { name: '組立台' } },
        alerts: { publicUrl: 'http://mieruka.local:8080/' },
        hub: { clutterWebhook: { url: peer.url, timeoutMs: 5000 } },
      }),
      logger: silentLogger,
    });
    cleanups.push(() => hub.stop());
    await hub.start();
    const edge = await connectClient(hub.mqttUrl);
    cleanups.push(() => closeClient(edge));
    const ts = Date.parse('2025-11-24T17:00:00+09:00');
    const payload = encodePayload('clutter', { ts, seq: 7, score: 23.4, coveredRatio: 0.234, slot: '17:00', imageId: 'img-7' });
    await edge.publishAsync(topicFor('factory', 'bench-1', 'clutter'), payload, { qos: 1 });
    await edge.publishAsync(topicFor('factory', 'bench-1', 'clutter'), payload, { qos: 1 }); // a store-and-forward resend

    await waitFor(() => peer.received.length === 1, 'the score delivered after one retry');
    expect(peer.requests()).toBe(2);
    expect(peer.received[0]).toEqual({
      path: '/macros/s/SECRET/exec',
      body: {
        id: 'factory/bench-1/7',
        site: 'factory',
        node: 'bench-1',
        name: '組立台',
        ts: '2025-11-24T17:00:00+09:00',
        epochMs: ts,
        seq: 7,
        score: 23.4,
        coveredRatio: 0.234,
        slot: '17:00',
        imageId: 'img-7',
        imageUrl: 'http://mieruka.local:8080/api/nodes/factory/bench-1/images/img-7',
        text: '組立台 の散乱度 23.4（17:00）',
      },
    });
    await waitFor(() => hub.clutterWebhook?.stats().sent === 1, 'sent counted');
    expect(hub.clutterWebhook?.stats()).toMatchObject({ queued: 0, failed: 0, dropped: 0 });
  });

  it('gives up on a 404 without retrying, keeps the queue bounded, and never logs the URL', async () => {
    const peer = await receiver([404]);
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const hook = new ClutterWebhook({ url: peer.url, timeoutMs: 5000, lang: 'en', maxQueue: 2, timeZone: 'Asia/Tokyo', site: 'factory', logger, retryBaseMs: 10 });
    const score = (seq: number) => ({ ts: 1_764_000_000_000 + seq, seq, score: 5, coveredRatio: 0.05, slot: 'manual', imageId: null });
    // Queued before start: three scores into a queue of two drops the oldest.
    hook.offer('factory', 'bench-9', score(1));
    hook.offer('factory', 'bench-9', score(2));
    hook.offer('factory', 'bench-9', score(3));
    expect(hook.stats()).toMatchObject({ queued: 2, dropped: 1 });
    hook.start();
    cleanups.push(() => hook.stop());
    await waitFor(() => hook.stats().failed === 2, 'both given up');
    expect(peer.requests()).toBe(2);
    expect(hook.stats().lastError).toContain('HTTP 404');
    expect(hook.body('factory', 'bench-9', score(1)).text).toBe('Clutter score of bench-9: 5 (manual)');
    expect(lines.join('\n')).not.toContain('SECRET');
    expect(lines.join('\n')).toContain('given up');
  });
});
