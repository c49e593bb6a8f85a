/**
 * A hub's leadership alone in its own process, for the test that kills a leader with SIGKILL
 * (postgres-leadership.test.ts): the store URL comes from MIERUKA_TEST_PG_URL (never argv,
 * where `ps` shows it), the hub id from argv; prints "leading" / "following" on each change.
 */
import { pino } from 'pino';
import { PostgresLeadership } from '../cluster/postgres-leadership.js';

const url = process.env.MIERUKA_TEST_PG_URL ?? '';
const hubId = process.argv[2] ?? 'child';
const leadership = new PostgresLeadership({ url, hubId, logger: pino({ level: 'silent' }), retryMs: 150, keepAliveMs: 150, sessionTimeoutMs: 1500 });
leadership.onChange((leading) => process.stdout.write(`${leading ? 'leading' : 'following'}\n`));
await leadership.start();
process.stdout.write('started\n');
