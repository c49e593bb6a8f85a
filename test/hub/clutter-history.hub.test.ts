/**
 * Clutter history through the whole hub: an edge station publishes scores and JPEGs over real
 * MQTT; a supervisor logs in and reads benches, latest, trend, calendar (Asia/Tokyo days), CSV
 * and thumbnails over real HTTP; retention prunes old images and the REST layer says so.
 */
import { utimes } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor, type PayloadOf } from '@mieruka/protocol';
import { parseCsv } from '../../dashboard/src/test-support/csv-parse.js';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';

const SITE = 'factory';
const NODE = 'bench-1';
/** 2025-11-23 23:59:30 and 2025-11-24 00:00:30 in Tokyo (+09:00), then two more on the 24th. */
const T1 = Date.parse('2025-11-23T23:59:30+09:00');
const T2 = Date.parse('2025-11-24T00:00:30+09:00');
const T3 = Date.parse('2025-11-24T12:00:00+09:00');
const T4 = Date.parse('2025-11-24T17:00:00+09:00');

type Score = { ts: number; score: number; slot: string; imageId: string | null; imageAvailable: boolean; imageUrl: string | null; thumbnailUrl: string | null; time: string };
type Day = { date: string; count: number; last: number; max: number; min: number; mean: number; lastTime: string };

async function jpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 160, b: 60 } } }).jpeg().toBuffer();
}

describe('clutter history on a running hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient;
  let cookie = '';
  const get = (path: string, withCookie = true) => fetch(`${hub.httpUrl}${path}`, { headers: withCookie ? { cookie } : {} });
  const getJson = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    dir = await makeTempDir();
    hub = createHub({
      config: hubConfig(dir.path, {
        timezone: 'Asia/Tokyo',
        stations: { [NODE]: { name: '組立台' }, 'bench-2': {} },
        dashboard: { adminUser: 'boss', adminPassword: 'boss-password-1' },
      }),
      logger: silentLogger,
    });
    await hub.start();
    edge = await connectClient(hub.mqttUrl);
    const image = await jpeg(1280, 720);
    const shots: PayloadOf<'clutter'>[] = [
      { ts: T1, seq: 1, score: 40, coveredRatio: 0.4, slot: '17:00', imageId: 'img-1' },
      { ts: T2, seq: 2, score: 10, coveredRatio: 0.1, slot: 'manual', imageId: 'img-2' },
      { ts: T3, seq: 3, score: 20.5, coveredRatio: 0.205, slot: '12:00', imageId: null },
      { ts: T4, seq: 4, score: 30, coveredRatio: 0.3, slot: '17:00', imageId: 'img-4' },
    ];
    let saved = 0;
    for (const shot of shots) {
      await edge.publishAsync(topicFor(SITE, NODE, 'clutter'), encodePayload('clutter', shot), { qos: 1 });
      if (shot.imageId) {
        await edge.publishAsync(topicFor(SITE, NODE, 'image'), image, { qos: 1 });
        saved += 1;
        await waitFor(() => hub.ingestStats().imagesSaved >= saved, `image ${shot.imageId} saved`);
      }
    }
    await hub.flush();
    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'boss', password: 'boss-password-1' }) });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });

  afterAll(async () => {
    await closeClient(edge);
    await hub?.stop();
    await dir?.remove();
  });

  it('needs a session for every bench route', async () => {
    for (const path of ['/api/benches', `/api/benches/${SITE}/${NODE}/latest`, `/api/benches/${SITE}/${NODE}/trend?format=csv`, `/api/nodes/${SITE}/${NODE}/images/img-4/thumbnail`]) {
      expect((await get(path, false)).status, path).toBe(401);
    }
  });

  it('lists stations with their latest score, configured ones included', async () => {
    const body = await getJson<{ timeZone: string; benches: { node: string; name: string | null; latest: Score | null }[] }>('/api/benches');
    expect(body.timeZone).toBe('Asia/Tokyo');
    expect(body.benches.map((b) => b.node)).toEqual([NODE, 'bench-2']);
    expect(body.benches[0]!.name).toBe('組立台');
    expect(body.benches[0]!.latest).toMatchObject({ ts: T4, score: 30, imageId: 'img-4', imageAvailable: true, time: '2025-11-24T17:00:00+09:00' });
    expect(body.benches[1]!.latest).toBeNull();
  });

  it('gives the latest result with image and thumbnail links that work', async () => {
    const body = await getJson<{ latest: Score }>(`/api/benches/${SITE}/${NODE}/latest`);
    expect(body.latest.imageUrl).toBe(`/api/nodes/${SITE}/${NODE}/images/img-4`);
    const image = await get(body.latest.imageUrl!);
    expect(image.status).toBe(200);
    const thumb = await get(body.latest.thumbnailUrl!);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(meta.width).toBe(240);
    expect(meta.height).toBe(135);
    // Second time from the cache: same bytes.
    const again = await get(body.latest.thumbnailUrl!);
    expect(Buffer.from(await again.arrayBuffer()).length).toBe(Number(thumb.headers.get('content-length')));
  });

  it('answers 404 for an unknown station and image, 400 for bad parameters', async () => {
    expect((await get(`/api/benches/${SITE}/nobody/latest`)).status).toBe(404);
    expect((await get(`/api/nodes/${SITE}/${NODE}/images/img-9/thumbnail`)).status).toBe(404);
    expect((await get(`/api/benches/${SITE}/${NODE}/calendar?month=2025-13`)).status).toBe(400);
    expect((await get(`/api/benches/${SITE}/${NODE}/calendar?month=2025-11&year=2025`)).status).toBe(400);
    expect((await get(`/api/benches/${SITE}/${NODE}/trend?from=2020-01-01&to=2025-01-01`)).status).toBe(400);
    expect((await get(`/api/benches/${SITE}/${NODE}/trend?from=1764000000`)).status).toBe(400);
    expect((await get(`/api/benches/${SITE}/${NODE}/trend?format=xml`)).status).toBe(400);
    expect((await get(`/api/benches/${SITE}/${NODE}/other`)).status).toBe(404);
  });

  it('gives every score in a range, oldest first', async () => {
    const body = await getJson<{ scores: Score[]; truncated: boolean }>(`/api/benches/${SITE}/${NODE}/trend?from=2025-11-24&to=2025-11-25`);
    expect(body.truncated).toBe(false);
    expect(body.scores.map((s) => s.score)).toEqual([10, 20.5, 30]);
    expect(body.scores[1]).toMatchObject({ imageId: null, imageAvailable: false, imageUrl: null });
  });

  it('cuts calendar days at Tokyo midnight: last of the day, max, min, mean, count', async () => {
    const body = await getJson<{ period: string; days: Day[] }>(`/api/benches/${SITE}/${NODE}/calendar?month=2025-11`);
    expect(body.period).toBe('2025-11');
    expect(body.days).toEqual([
      { date: '2025-11-23', count: 1, last: 40, lastTs: T1, max: 40, min: 40, mean: 40, lastTime: '2025-11-23T23:59:30+09:00' },
      { date: '2025-11-24', count: 3, last: 30, lastTs: T4, max: 30, min: 10, mean: 20.2, lastTime: '2025-11-24T17:00:00+09:00' },
    ]);
    const year = await getJson<{ days: Day[] }>(`/api/benches/${SITE}/${NODE}/calendar?year=2025`);
    expect(year.days.map((d) => d.count)).toEqual([1, 3]);
    const december = await getJson<{ days: Day[] }>(`/api/benches/${SITE}/${NODE}/calendar?month=2025-12`);
    expect(december.days).toEqual([]);
  });

  it('exports trend and calendar as CSV: BOM, CRLF, Japanese headers, or English', async () => {
    const res = await get(`/api/benches/${SITE}/${NODE}/trend?from=2025-11-23&to=2025-11-25&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('mieruka_factory_bench-1_clutter_2025-11-23_2025-11-24.csv');
    const rows = parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer()));
    expect(rows[0]).toEqual(['サイト', '作業台', '作業台名', '日時', '時間帯', '散乱度', '被覆率', '画像ID', '画像あり']);
    expect(rows[1]).toEqual(['factory', NODE, '組立台', '2025-11-23T23:59:30+09:00', '17:00', '40', '0.4', 'img-1', 'はい']);
    expect(rows[3]).toEqual(['factory', NODE, '組立台', '2025-11-24T12:00:00+09:00', '12:00', '20.5', '0.205', '', 'いいえ']);
    expect(rows).toHaveLength(5);

    const cal = await get(`/api/benches/${SITE}/${NODE}/calendar?month=2025-11&format=csv&lang=en`);
    const calRows = parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await cal.arrayBuffer()));
    expect(calRows[0]).toEqual(['site', 'station', 'station name', 'date', 'last score of the day', 'last time', 'max', 'min', 'mean', 'count']);
    expect(calRows[2]).toEqual(['factory', NODE, '組立台', '2025-11-24', '30', '2025-11-24T17:00:00+09:00', '30', '10', '20.2', '3']);
  });

  it('prunes images past retention, keeps the newest, and reports pruned ones as unavailable', async () => {
    // All three past 400 days; img-4 arrived last of them.
    const old = Date.now() - 500 * 86_400_000;
    for (const [id, at] of [['img-1', old], ['img-2', old + 1000], ['img-4', old + 2000]] as const) await utimes(hub.images.pathFor(SITE, NODE, id)!, new Date(at), new Date(at));
    const result = await hub.imagePruner.prune();
    expect(result.deleted).toBe(2); // img-4 is old too, but it is the newest of the node
    expect(hub.images.has(SITE, NODE, 'img-1')).toBe(false);
    expect(hub.images.has(SITE, NODE, 'img-2')).toBe(false);
    expect(hub.images.has(SITE, NODE, 'img-4')).toBe(true);
    const body = await getJson<{ scores: Score[] }>(`/api/benches/${SITE}/${NODE}/trend?from=2025-11-23&to=2025-11-25`);
    expect(body.scores.map((s) => [s.imageId, s.imageAvailable])).toEqual([
      ['img-1', false],
      ['img-2', false],
      [null, false],
      ['img-4', true],
    ]);
    expect((await get(`/api/nodes/${SITE}/${NODE}/images/img-1/thumbnail`)).status).toBe(404);
    expect(body.scores[0]!.thumbnailUrl).toBeNull();
  });
});
