/** The start-up snapshot on both databases: each node's latest reading, state, clutter and motion. */
import { describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { loadNodeSnapshots } from './snapshot-queries.js';

const backends = sqlBackends();

describe.each(backends.each)('loadNodeSnapshots on %s', (_name, open) => {
  it('rebuilds the newest of each kind per node; unknown states and unreadable backlogs are "not said"', async () => {
    const t = Date.now();
    const { sql } = await open();
    const backlog = JSON.stringify({ queued: 3, oldestTs: t - 9000, dropped: 0, at: t - 100 });
    await sql.run("INSERT INTO nodes (site, node, online, agent, version, last_seen, backlog) VALUES ('factory', 'mill-1', 1, 'bridge', '1.2.3', ?, ?)", [t, backlog]);
    await sql.run("INSERT INTO nodes (site, node, online, agent, version, last_seen, backlog) VALUES ('factory', 'bench-1', 0, 'station', '1.0.0', ?, '{bad')", [t - 50]);
    await sql.run("INSERT INTO nodes (site, node) VALUES ('annex', 'lathe-1')");
    const reading = "INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ('factory', 'mill-1', ?, ?, ?, ?)";
    await sql.run(reading, [t - 2000, 10, '[2]', t]);
    await sql.run(reading, [t - 1000, 11, '[3.5, 0.1]', t]);
    await sql.run(reading, [t - 1500, 9, '[1]', t]); // a late resend of an older one
    const state = "INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES ('factory', 'mill-1', ?, ?, ?, '[1]', ?)";
    await sql.run(state, [t - 3000, 'idle', t - 3000, t]);
    await sql.run(state, [t - 1200, 'running', t - 1200, t]);
    await sql.run(
      "INSERT INTO clutter (site, node, ts, seq, score, covered_ratio, slot, image_id, received_at) VALUES ('factory', 'bench-1', ?, 1, 12.5, 0.125, '09:00', 'img-1', ?), ('factory', 'bench-1', ?, 2, 40, 0.4, '12:00', NULL, ?)",
      [t - 5000, t, t - 4000, t],
    );
    await sql.run("INSERT INTO motion (site, node, ts, active, received_at) VALUES ('factory', 'bench-1', ?, 1, ?), ('factory', 'bench-1', ?, 0, ?)", [t - 700, t, t - 600, t]);
    await sql.run("INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES ('annex', 'lathe-1', ?, 'exploded', ?, '[1]', ?)", [t, t, t]);

    const snaps = await loadNodeSnapshots(sql);
    expect(snaps.map((s) => `${s.site}/${s.node}`)).toEqual(['annex/lathe-1', 'factory/bench-1', 'factory/mill-1']);
    const [lathe, bench, mill] = snaps;
    expect(lathe).toMatchObject({ online: null, agent: null, state: null, current: null, clutter: null, motion: null, backlog: null });
    expect(bench).toMatchObject({
      online: false,
      lastSeen: t - 50,
      clutter: { score: 40, coveredRatio: 0.4, slot: '12:00', ts: t - 4000, imageId: null },
      motion: { active: false, ts: t - 600 },
      backlog: null,
    });
    expect(mill).toEqual({
      site: 'factory',
      node: 'mill-1',
      online: true,
      agent: 'bridge',
      version: '1.2.3',
      lastSeen: t,
      state: { state: 'running', since: t - 1200, ts: t - 1200 },
      current: { irms: [3.5, 0.1], ts: t - 1000, seq: 11 },
      clutter: null,
      motion: null,
      backlog: { queued: 3, oldestTs: t - 9000, dropped: 0, at: t - 100 },
    });
  });
});
