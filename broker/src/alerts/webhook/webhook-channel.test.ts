/**
 * WebhookChannel against a real node:http server on 127.0.0.1 (port 0): 200, 500 then 200,
 * no answer then an answer, connection refused, 404, a full queue, independent targets, and
 * the token never in logs or status.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmNotice } from '../channel.js';
import { waitFor } from '../../test-support/helpers.js';
import { startHttpPeer, type PeerHandler } from '../../test-support/http-peer.js';
import { WebhookChannel, type WebhookChannelOptions } from './webhook-channel.js';

const SECRET = 'T0KEN-s3cr3t-abcdef';
const TS = Date.UTC(2025, 10, 24, 8, 0); // 17:00 in Tokyo

type Received = { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> & { text: string; mieruka: Record<string, unknown> } };

function notice(kind: AlarmNotice['kind'] = 'raised', id = 'a1', severity: AlarmNotice['alarm']['severity'] = 'critical'): AlarmNotice {
  return {
    kind,
    alarm: { id, site: 'factory', node: 'mill-1', type: 'machine_stopped', severity, message: { ja: '機械が予期せず停止しました', en: 'machine stopped unexpectedly' }, activeSince: TS, active: true, acknowledged: false },
    dashboardUrl: 'http://hub.local:8080/#/machines/mill-1',
    ackUrl: 'http://hub.local:8080/ack/signed-token',
  };
}

describe('WebhookChannel', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function server(handler: PeerHandler) {
    const peer = await startHttpPeer<Received['body']>(handler);
    cleanups.push(() => peer.close());
    return { received: peer.received, port: peer.port, url: `http://127.0.0.1:${peer.port}/services/${SECRET}?token=${SECRET}` };
  }

  function channel(options: Partial<WebhookChannelOptions> & Pick<WebhookChannelOptions, 'targets'>) {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
    const ch = new WebhookChannel({ logger, retry: { initialMs: 20, maxMs: 100 }, timeZone: 'Asia/Tokyo', ...options });
    cleanups.push(() => ch.stop());
    return { ch, logs: () => lines.join('') };
  }

  it('200: posts a Slack/Teams-compatible text plus the structured alarm', async () => {
    const srv = await server((_req, res) => res.writeHead(200).end('ok'));
    const { ch, logs } = channel({ targets: [{ name: 'slack', url: srv.url }] });
    await ch.start();
    await ch.deliver(notice());
    await waitFor(() => ch.stats()[0]!.sent === 1, 'delivered');
    const [got] = srv.received;
    expect(got!.path).toBe(`/services/${SECRET}?token=${SECRET}`);
    expect(got!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got!.headers['user-agent']).toMatch(/^mieruka\//);
    expect(got!.body.text).toBe('[重大] 発生: factory/mill-1 — 機械が予期せず停止しました (2025/11/24 17:00 から)\nダッシュボード: http://hub.local:8080/#/machines/mill-1');
    expect(got!.body.mieruka).toMatchObject({
      kind: 'raised',
      level: 0,
      alarm: { id: 'a1', site: 'factory', node: 'mill-1', type: 'machine_stopped', severity: 'critical', activeSince: '2025-11-24T08:00:00.000Z', message: { en: 'machine stopped unexpectedly' } },
      dashboardUrl: 'http://hub.local:8080/#/machines/mill-1',
    });
    expect(got!.body.mieruka.ackUrl).toBeUndefined(); // not in a shared chat room unless asked
    expect(ch.status()).toEqual({ ok: true, detail: '1 webhook target(s)', pending: 0 });
    expect(logs()).toMatch(/webhook target ready/);
    expect(logs()).not.toContain(SECRET);
  });

  it('English text, the ack link on request, kinds and severity filters', async () => {
    const srv = await server((_req, res) => res.writeHead(204).end());
    const { ch } = channel({ targets: [{ name: 'ops', url: srv.url, lang: 'en', includeAckUrl: true, kinds: ['raised'], minSeverity: 'major' }] });
    await ch.start();
    await ch.deliver(notice('raised', 'low', 'minor'));
    await ch.deliver(notice('reminder', 'a1', 'critical'));
    await ch.deliver(notice('raised', 'a1', 'critical'));
    await waitFor(() => ch.stats()[0]!.sent === 1 && ch.status().pending === 0, 'delivered');
    expect(srv.received).toHaveLength(1);
    expect(srv.received[0]!.body.text).toBe(
      '[CRITICAL] raised: factory/mill-1 — machine stopped unexpectedly (since 24/11/2025, 17:00)\nDashboard: http://hub.local:8080/#/machines/mill-1\nAcknowledge: http://hub.local:8080/ack/signed-token',
    );
    expect(srv.received[0]!.body.mieruka.ackUrl).toBe('http://hub.local:8080/ack/signed-token');
  });

  it('500 then 200: retried with back-off, delivered once, in order', async () => {
    const srv = await server((_req, res, n) => res.writeHead(n === 1 ? 500 : 200).end());
    const changes: boolean[] = [];
    const { ch } = channel({ targets: [{ name: 'slack', url: srv.url }], onStatusChange: (s) => changes.push(s.ok) });
    await ch.start();
    await ch.deliver(notice('raised', 'a1'));
    await ch.deliver(notice('raised', 'a2'));
    await waitFor(() => ch.stats()[0]!.sent === 2, 'both delivered');
    expect(srv.received.map((r) => (r.body.mieruka.alarm as { id: string }).id)).toEqual(['a1', 'a1', 'a2']);
    expect(ch.status().ok).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('no answer: times out, the status says so, the retry gets through', async () => {
    const srv = await server((_req, res, n) => {
      if (n > 1) res.writeHead(200).end(); // the first request is left hanging
    });
    const { ch } = channel({ targets: [{ name: 'slack', url: srv.url, timeoutMs: 200 }], retry: { initialMs: 300, maxMs: 300 } });
    await ch.start();
    await ch.deliver(notice());
    const faulty = await waitFor(() => (ch.status().ok ? null : ch.status()), 'timeout reported');
    expect(faulty.detail).toMatch(/^slack \(http:\/\/127\.0\.0\.1:\d+\/…\): did not answer within 200 ms/);
    expect(faulty.pending).toBe(1);
    await waitFor(() => ch.stats()[0]!.sent === 1 && ch.status().ok, 'delivered on retry');
  });

  it('connection refused: queued and retried until the receiver is up', async () => {
    const probe = await server((_req, res) => res.writeHead(200).end());
    const port = probe.port;
    await cleanups.pop()!(); // nobody listens on that port now
    const { ch, logs } = channel({ targets: [{ name: 'teams', url: `http://127.0.0.1:${port}/webhookb2/${SECRET}` }] });
    await ch.start();
    await ch.deliver(notice());
    const faulty = await waitFor(() => (ch.status().ok ? null : ch.status()), 'refused reported');
    expect(faulty.detail).toMatch(/connection refused/);
    expect(faulty.detail).not.toContain(SECRET);
    const received: string[] = [];
    const again = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume();
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => again.listen(port, '127.0.0.1', resolve));
    cleanups.push(async () => {
      again.closeAllConnections();
      await new Promise<void>((resolve) => again.close(() => resolve()));
    });
    await waitFor(() => ch.stats()[0]!.sent === 1, 'delivered once the receiver is up');
    expect(received).toEqual([`/webhookb2/${SECRET}`]);
    expect(ch.status().ok).toBe(true);
    expect(logs()).toMatch(/connection refused/);
    expect(logs()).not.toContain(SECRET);
  });

  it('404 is not retried: the notice is dropped and the status says to check the URL', async () => {
    const srv = await server((_req, res) => res.writeHead(404).end('no_service'));
    const { ch } = channel({ targets: [{ name: 'slack', url: srv.url }] });
    await ch.start();
    await ch.deliver(notice());
    await waitFor(() => ch.stats()[0]!.failed === 1, 'dropped');
    expect(srv.received).toHaveLength(1);
    expect(ch.status()).toMatchObject({ ok: false, pending: 0, detail: expect.stringMatching(/HTTP 404 \(not retried: check the webhook URL\)/) });
  });

  it('gives up on a notice after maxAttempts', async () => {
    const srv = await server((_req, res) => res.writeHead(503).end());
    const { ch } = channel({ targets: [{ name: 'slack', url: srv.url, maxAttempts: 3 }], maxAttempts: 8 });
    await ch.start();
    await ch.deliver(notice());
    await waitFor(() => ch.stats()[0]!.failed === 1, 'given up');
    expect(srv.received).toHaveLength(3);
    expect(ch.status().detail).toMatch(/HTTP 503 \(notice dropped after 3 attempts\)/);
  });

  it('bounds the queue: the oldest notices are dropped first', async () => {
    const srv = await server((_req, res, n) => res.writeHead(n === 1 ? 500 : 200).end());
    const { ch } = channel({ targets: [{ name: 'slack', url: srv.url }], queueLimit: 3, retry: { initialMs: 300, maxMs: 300 } });
    await ch.start();
    for (let i = 1; i <= 6; i++) await ch.deliver(notice('raised', `a${i}`));
    expect(ch.status().pending).toBe(3);
    expect(ch.stats()[0]!.dropped).toBe(3);
    await waitFor(() => ch.status().pending === 0, 'queue drained');
    const ids = srv.received.map((r) => (r.body.mieruka.alarm as { id: string }).id);
    // a1 was in flight when the queue overflowed; a2–a4 made room for the newer ones
    expect(ids).toEqual(['a1', 'a1', 'a5', 'a6']);
  });

  it('a hanging target does not hold up another one', async () => {
    const slow = await server(() => undefined); // never answers
    const fast = await server((_req, res) => res.writeHead(200).end());
    const { ch } = channel({ targets: [{ name: 'slow', url: slow.url, timeoutMs: 30_000 }, { name: 'fast', url: fast.url }] });
    await ch.start();
    await ch.deliver(notice('raised', 'a1'));
    await ch.deliver(notice('raised', 'a2'));
    await waitFor(() => fast.received.length === 2, 'fast target got both');
    expect(slow.received).toHaveLength(1);
    expect(ch.stats().map((s) => [s.name, s.sent])).toEqual([
      ['slow', 0],
      ['fast', 2],
    ]);
  });

  it('stop aborts requests in flight and releases its sockets', async () => {
    const slow = await server(() => undefined);
    const { ch } = channel({ targets: [{ name: 'slow', url: slow.url, timeoutMs: 30_000 }] });
    await ch.start();
    await ch.deliver(notice());
    await waitFor(() => slow.received.length === 1, 'request in flight');
    await ch.stop();
    expect(ch.status().pending).toBe(0);
    await ch.deliver(notice());
    expect(ch.status().pending).toBe(0);
  });

  it('refuses an invalid or non-HTTP URL without echoing it', () => {
    const logger = pino({ level: 'silent' });
    expect(() => new WebhookChannel({ logger, targets: [{ name: 'x', url: `not a url ${SECRET}` }] })).toThrow(/webhook x: the URL is not valid$/);
    expect(() => new WebhookChannel({ logger, targets: [{ name: 'y', url: `ftp://h/${SECRET}` }] })).toThrow(/use an https:\/\/ URL$/);
  });
});
