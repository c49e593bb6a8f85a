/**
 * The environment for a real server a test starts (Redis, PostgreSQL) without faketime:
 * scripts/test-at.sh runs the tests under libfaketime (LD_PRELOAD), which children inherit,
 * and redis-server hangs under it (seen: `redis-server --version` never returned). The system
 * under test keeps its faked clock; the servers only need durations, which a real clock gives.
 */
export function realClockEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === 'LD_PRELOAD' || key.startsWith('FAKETIME') || key === 'DONT_FAKE_MONOTONIC') continue;
    out[key] = value;
  }
  return out;
}
