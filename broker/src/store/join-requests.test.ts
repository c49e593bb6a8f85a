/** Join requests and node removal on both databases: pending = refused, not joined since, not admitted. */
import { describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { admitJoinRequest, countJoinRequests, dismissJoinRequest, listAdmitted, listJoinRequests } from './join-requests.js';
import { deleteNodeRow } from './node-removal.js';
import type { SqlStore } from './sql/sql-store.js';

const backends = sqlBackends();

const ask = (sql: SqlStore, node: string, firstAt: number, lastAt: number, count: number) =>
  sql.run("INSERT INTO join_requests (site, node, first_at, last_at, count) VALUES ('factory', ?, ?, ?, ?)", [node, firstAt, lastAt, count]);
const joined = (sql: SqlStore, node: string) => sql.run("INSERT INTO nodes (site, node, online) VALUES ('factory', ?, 1)", [node]);

describe.each(backends.each)('join requests on %s', (_name, open) => {
  it('lists pending requests newest first, admits and dismisses only pending ones', async () => {
    const t = Date.now();
    const { sql } = await open();
    await ask(sql, 'a', t - 5000, t - 1000, 3);
    await ask(sql, 'b', t - 4000, t - 500, 1);
    await ask(sql, 'c', t - 3000, t - 2000, 2);
    await joined(sql, 'c'); // joined since (caps raised): no longer asking

    expect(await listJoinRequests(sql)).toEqual([
      { site: 'factory', node: 'b', firstAt: t - 4000, lastAt: t - 500, count: 1 },
      { site: 'factory', node: 'a', firstAt: t - 5000, lastAt: t - 1000, count: 3 },
    ]);
    expect(await countJoinRequests(sql)).toBe(2);

    expect(await admitJoinRequest(sql, 'factory', 'a', 'admin', t)).toBe(true);
    expect(await admitJoinRequest(sql, 'factory', 'a', 'admin', t)).toBe(false); // no longer pending
    expect(await admitJoinRequest(sql, 'factory', 'c', 'admin', t)).toBe(false); // joined
    expect(await listAdmitted(sql)).toEqual([{ site: 'factory', node: 'a' }]);
    expect(await dismissJoinRequest(sql, 'factory', 'b')).toBe(true);
    expect(await dismissJoinRequest(sql, 'factory', 'b')).toBe(false);
    expect(await dismissJoinRequest(sql, 'factory', 'a')).toBe(false); // admitted, not pending
    expect(await listJoinRequests(sql)).toEqual([]);
    expect(await countJoinRequests(sql)).toBe(0);
  });

  it('removing a node deletes its row only, once', async () => {
    const { sql } = await open();
    await joined(sql, 'mill-1');
    await joined(sql, 'mill-2');
    expect(await deleteNodeRow(sql, 'factory', 'mill-1')).toBe(true);
    expect(await deleteNodeRow(sql, 'factory', 'mill-1')).toBe(false);
    expect(await sql.all('SELECT node FROM nodes')).toEqual([{ node: 'mill-2' }]);
  });
});
