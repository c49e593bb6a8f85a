/**
 * ClutterHistory on both stores it can sit on — the hub's SQLite file and a real PostgreSQL 15
 * (Debian's server in a temp dir) — with real image files: the same answers from both.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { ImageStore } from '../ingest/image-store.js';
import { ClutterHistory } from './clutter-history.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

const backends = sqlBackends();
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe.each(backends.each)('ClutterHistory on %s', (_name, open) => {
  const openStore = async () => (await open()).sql;
  it('lists stations with their latest score and whether its image is still on disk, configured ones before their first score', async () => {
    const sql = await openStore();
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const images = new ImageStore({ root: dir.path });
    const t0 = Date.now() - 3 * 3600_000;
    const insert = 'INSERT INTO clutter (site, node, ts, seq, score, covered_ratio, slot, image_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';
    await sql.run(insert, ['factory', 'bench-1', t0, 1, 40, 0.4, '08:00', 'img-a', t0]);
    await sql.run(insert, ['factory', 'bench-1', t0 + 3600_000, 2, 12.5, 0.125, '12:00', 'img-b', t0]);
    await sql.run(insert, ['factory', 'bench-1', t0 + 7200_000, 3, 20, 0.2, '17:00', null, t0]);
    await sql.run(insert, ['hall-2', 'bench-9', t0, 1, 70, 0.7, '08:00', 'img-c', t0]);
    await images.save('factory', 'bench-1', 'img-b', JPEG);
    const history = new ClutterHistory({ sql: () => sql, images, site: 'factory', stations: { 'bench-1': { name: '組立台' }, 'bench-2': { name: '検査台' } } });

    const benches = await history.listBenches([{ site: 'factory', node: 'bench-1', online: true } as never]);
    expect(benches.map((b) => [b.site, b.node, b.name, b.online, b.latest?.score ?? null])).toEqual([
      ['factory', 'bench-1', '組立台', true, 20],
      ['factory', 'bench-2', '検査台', null, null],
      ['hall-2', 'bench-9', null, null, 70],
    ]);

    const scores = await history.scores('factory', 'bench-1', { from: t0, to: t0 + 7200_000 }, 10);
    expect(scores).toEqual([
      { ts: t0, seq: 1, score: 40, coveredRatio: 0.4, slot: '08:00', imageId: 'img-a', imageAvailable: false },
      { ts: t0 + 3600_000, seq: 2, score: 12.5, coveredRatio: 0.125, slot: '12:00', imageId: 'img-b', imageAvailable: true },
    ]);
    expect(await history.scores('factory', 'bench-1', { from: t0, to: t0 + 86400_000 }, 1)).toHaveLength(1);
    expect(await history.scores('factory', 'bench-2', { from: t0, to: t0 + 1 }, 10)).toEqual([]);
    expect(await history.scores('factory', 'nobody', { from: t0, to: t0 + 1 }, 10)).toBeNull();
    expect(await history.scores('hall-2', 'bench-9', { from: t0 + 1, to: t0 + 2 }, 10)).toEqual([]);
  });
});
