/**
 * Fuzzing (fast-check) of the dashboard API's inputs over real HTTP (the test harness: the
 * real app on 127.0.0.1:0): query parameters of the machine report, production, bench and
 * alarm routes, and JSON bodies of login, settings, stop reasons and quality entries. Every answer is a 2xx or a 4xx with a coded JSON
 * error, never a 5xx, and the server still answers afterwards.
 * Seeds are fixed (FUZZ_SEED overrides); fast-check prints seed and path of a failure.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, loginSession, startHarness, writeHeaders, type Harness, type TestSession } from './test-support/harness.js';

const seed = Number(process.env.FUZZ_SEED ?? 14_009);
const params = (numRuns: number) => ({ seed, numRuns });

/** Values that just miss and values that are plain noise. */
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '0',
    '946684799999',
    '4102444800001',
    '99999999999999999',
    '1764000000000',
    '2025-11-24',
    '2025-02-29',
    '2024-02-29',
    '2025-13-01',
    '0000-01-01',
    '9999-12-31',
    '2025-11-24T08:00',
    '2025-11-24T24:00',
    '2025-11-24T08:00:00.999+09:00',
    '2025-11-24T08:00:00+99:99',
    '2025-11-24T08:00:00Z',
    '2025-11-24Tgarbage+09:00',
    '2025-W48',
    'csv',
    'json',
    'en',
    'ja',
    'hour',
    'day',
    'shift',
    'active',
    'history',
    'major,minor',
    ',,,',
    '12',
    '2025',
    '1e3',
    '-1',
    'NaN',
    'Infinity',
  ),
);
const queryName = fc.oneof(fc.constantFrom('from', 'to', 'format', 'lang', 'by', 'points', 'month', 'year', 'state', 'site', 'node', 'severity', 'limit'), fc.string({ maxLength: 8 }), fc.constantFrom('from[]', 'to[a]', '__proto__', 'constructor'));
/** Noise: pairs, so a name may repeat (`?from=a&from=b`). */
const noisyQuery = fc.array(fc.tuple(queryName, queryValue), { maxLength: 6 }).map((pairs) => pairs);
/** Instants (fixed bounds, so a seed replays), as the API takes them (epoch ms, a local date, a date-time with or without offset). */
const instant = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 11, 31) }).chain((t) => {
  const iso = new Date(t).toISOString();
  return fc.constantFrom(String(t), iso.slice(0, 10), iso.slice(0, 16), iso.replace(/\.\d{3}Z$/, '+09:00'), iso);
});
/** Mostly sensible parameters (so requests reach the data source), some noise mixed in. */
const sensibleQuery = fc
  .record(
    {
      from: instant,
      to: instant,
      format: fc.constantFrom('json', 'csv'),
      lang: fc.constantFrom('ja', 'en'),
      by: fc.constantFrom('hour', 'day', 'shift'),
      points: fc.integer({ min: 1, max: 5000 }).map(String),
      year: fc.integer({ min: 2000, max: 2099 }).map(String),
      month: fc.tuple(fc.integer({ min: 2020, max: 2030 }), fc.integer({ min: 0, max: 13 })).map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`),
      state: fc.constantFrom('active', 'history'),
      severity: fc.constantFrom('critical', 'major', 'minor,warning', 'info'),
      limit: fc.integer({ min: 1, max: 1000 }).map(String),
    },
    { requiredKeys: [] },
  )
  .map((r) => Object.entries(r) as Array<[string, string]>);
const query = fc.oneof(sensibleQuery, sensibleQuery, noisyQuery, fc.tuple(sensibleQuery, noisyQuery).map(([a, b]) => [...a, ...b])).map((pairs) => {
  const search = new URLSearchParams();
  for (const [k, v] of pairs) search.append(k, v);
  return search.toString();
});
const segment = fc.oneof(fc.constantFrom('factory', 'protomat-s63', 'bench-1', 'nope'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
/** A real machine or bench most of the time, anything else otherwise. */
const target = (site: string, node: string) => fc.oneof({ weight: 3, arbitrary: fc.constant([site, node] as const) }, fc.tuple(segment, segment));

/** Statuses seen in one test: the inputs must reach past the validation too (some 200s). */
const statuses = new Set<number>();

/** What every answer must be: not a 5xx; a 4xx is JSON with an error code. */
async function expectClientAnswer(res: Response): Promise<void> {
  statuses.add(res.status);
  const text = await res.text();
  expect(res.status, `HTTP ${res.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.status).toBeGreaterThanOrEqual(200);
  const type = res.headers.get('content-type') ?? '';
  if (res.status >= 400) {
    expect(type).toMatch(/application\/json/);
    expect(typeof (JSON.parse(text) as { error: { code: unknown } }).error.code).toBe('string');
  } else if (type.includes('application/json')) JSON.parse(text);
}

describe('fuzz: dashboard API inputs', () => {
  let harness: Harness;
  let session: TestSession;

  beforeAll(async () => {
    harness = await startHarness({ loginRateLimit: { limit: 1_000_000 } });
    const now = harness.now();
    harness.data.setMachine('factory', 'protomat-s63', {
      name: 'ProtoMat S63',
      intervals: [{ state: 'running', start: now - 7_200_000, end: null }],
      jobs: [{ start: now - 7_200_000, end: now - 3_600_000, durationS: 3600, partial: false, interrupted: false, source: 'events' }],
    });
    harness.data.production.addStop({ site: 'factory', node: 'protomat-s63', start: now - 3_600_000, end: now - 1_800_000, state: 'idle', reason: null, microstop: false });
    harness.data.addBenchScore('factory', 'bench-1', { ts: now - 3_600_000, seq: 1, score: 42, coveredRatio: 0.42, slot: '09:00', imageId: null, imageAvailable: false }, 'Bench');
    session = await loginSession(harness.url);
  });
  afterAll(async () => harness?.close());

  const get = (path: string) => fetch(`${harness.url}${path}`, { headers: { cookie: session.cookie } });
  const stillAnswers = async () => expect((await fetch(`${harness.url}/api/health`)).status).toBe(200);
  beforeEach(() => statuses.clear());
  afterEach(() => {
    expect(statuses.has(200), `statuses seen: ${[...statuses].join(', ')}`).toBe(true);
    expect([...statuses].some((s) => s >= 400), `statuses seen: ${[...statuses].join(', ')}`).toBe(true);
  });

  it('machine report routes: any query → 2xx or a coded 4xx', async () => {
    const report = fc.constantFrom('timeline', 'jobs', 'utilization', 'timeline.csv', 'jobs.csv', 'utilization.csv', 'current', 'other');
    await fc.assert(
      fc.asyncProperty(target('factory', 'protomat-s63'), report, query, async ([site, node], r, q) => {
        await expectClientAnswer(await get(`/api/machines/${site}/${node}/${r}?${q}`));
      }),
      params(300),
    );
    await expectClientAnswer(await get('/api/machines/factory/protomat-s63/utilization?by=shift&format=csv&lang=en'));
    await stillAnswers();
  });

  it('production routes: any query → 2xx or a coded 4xx', async () => {
    const view = fc.constantFrom('oee', 'oee.csv', 'stops', 'reasons', 'pareto', 'quality', 'other');
    await fc.assert(
      fc.asyncProperty(target('factory', 'protomat-s63'), view, query, async ([site, node], v, q) => {
        await expectClientAnswer(await get(`/api/machines/${site}/${node}/${v}?${q}`));
      }),
      params(300),
    );
    const all = fc.constantFrom('/api/production/pareto', '/api/production/stops-needing-reason', '/api/production/reasons', '/api/andon');
    const withinH = fc.oneof(fc.integer({ min: -5, max: 1000 }).map((n) => [['withinH', String(n)]] as Array<[string, string]>), fc.constant([] as Array<[string, string]>));
    await fc.assert(
      fc.asyncProperty(all, query, withinH, async (path, q, w) => {
        await expectClientAnswer(await get(`${path}?${q}&${new URLSearchParams(w).toString()}`));
      }),
      params(200),
    );
    await stillAnswers();
  });

  it('bench routes: any query → 2xx or a coded 4xx', async () => {
    const view = fc.constantFrom('latest', 'trend', 'calendar', 'other');
    await fc.assert(
      fc.asyncProperty(target('factory', 'bench-1'), view, query, async ([site, node], v, q) => {
        await expectClientAnswer(await get(`/api/benches/${site}/${node}/${v}?${q}`));
      }),
      params(300),
    );
    await stillAnswers();
  });

  it('alarm list: any query → 2xx or a coded 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        await expectClientAnswer(await get(`/api/alarms?${q}`));
      }),
      params(300),
    );
    await stillAnswers();
  });

  it('join requests: any site, node and action → 2xx or a coded 4xx', async () => {
    const action = fc.constantFrom('admit', 'dismiss', 'other');
    await fc.assert(
      fc.asyncProperty(target('factory', 'asking'), action, async ([site, node], a) => {
        // Asking (again) before every try, so admit and dismiss can succeed too.
        harness.data.addJoinRequest('factory', 'asking');
        const res = await fetch(`${harness.url}/api/system/join-requests/${site}/${node}/${a}`, { method: 'POST', headers: writeHeaders(session) });
        await expectClientAnswer(res);
      }),
      params(200),
    );
    await expectClientAnswer(await get('/api/system'));
    await stillAnswers();
  });

  it('node removal: any site and node → 2xx or a coded 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(target('factory', 'gone-1'), async ([site, node]) => {
        // Known again before every try, so the removal can succeed too.
        harness.data.updateNode('factory', 'gone-1', { online: false });
        const res = await fetch(`${harness.url}/api/system/nodes/${site}/${node}/remove`, { method: 'POST', headers: writeHeaders(session) });
        await expectClientAnswer(res);
      }),
      params(200),
    );
    await stillAnswers();
  });

  const body = (near: fc.Arbitrary<unknown>) =>
    fc.oneof(
      near.map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 60 }),
      fc.constantFrom('', '{', '{"a":', 'null', '[]', '"x"', '{"__proto__":{"polluted":1}}', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, `"${'x'.repeat(20_000)}"`),
    );
  const value = fc.oneof(fc.jsonValue(), fc.constantFrom('', 'x'.repeat(2000), null, 1e308));

  it('login: any JSON body → 200 or a coded 4xx', async () => {
    const near = fc.oneof(
      fc.record({ username: fc.oneof(fc.constant(ADMIN.username), fc.string()), password: fc.oneof(fc.constant(ADMIN.password), fc.string()) }),
      fc.tuple(fc.constantFrom('username', 'password', 'extra'), value).map(([k, v]) => ({ ...ADMIN, [k]: v })),
    );
    await fc.assert(
      fc.asyncProperty(body(near), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'), async (text, type) => {
        const res = await fetch(`${harness.url}/api/login`, { method: 'POST', headers: { 'Content-Type': type }, body: text });
        await expectClientAnswer(res);
      }),
      params(300),
    );
    await stillAnswers();
  });

  it('stop reasons and quality entries: any JSON body → 2xx or a coded 4xx', async () => {
    const now = harness.now();
    const stopStart = now - 3_600_000;
    const code = fc.oneof(fc.constantFrom('breakdown', 'setup', 'material', 'coffee', 'Bad Code', ''), fc.string({ maxLength: 40 }));
    const start = fc.oneof({ weight: 3, arbitrary: fc.constant(String(stopStart)) }, fc.integer({ min: 0, max: 2 ** 53 - 1 }).map(String), fc.string({ maxLength: 20 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(start, body(fc.record({ code })), async (s, text) => {
        const res = await fetch(`${harness.url}/api/machines/factory/protomat-s63/stops/${s || '0'}/reason`, { method: 'PUT', headers: writeHeaders(session), body: text });
        await expectClientAnswer(res);
      }),
      params(200),
    );
    const count = fc.oneof(fc.integer({ min: -2, max: 500 }), value);
    const t = fc.oneof(fc.integer({ min: now - 30 * 86_400_000, max: now }), value);
    const near = fc.record({ start: t, end: t, good: count, scrap: count, startupScrap: count, note: fc.oneof(fc.string({ maxLength: 250 }), fc.constant(null)), replace: fc.oneof(fc.boolean(), value) }, { requiredKeys: ['start', 'end', 'good'] });
    await fc.assert(
      fc.asyncProperty(body(near), async (text) => {
        const res = await fetch(`${harness.url}/api/machines/factory/protomat-s63/quality`, { method: 'POST', headers: writeHeaders(session), body: text });
        await expectClientAnswer(res);
      }),
      params(300),
    );
    await expectClientAnswer(await get(`/api/machines/factory/protomat-s63/quality?from=${now - 31 * 86_400_000}&to=${now + 1}`));
    await stillAnswers();
  });

  it('settings: any JSON body → 200 or a coded 4xx', async () => {
    const current = (await (await get('/api/settings')).json()) as { version: number; settings: Record<string, unknown> };
    let version = current.version;
    const settingsKeys = Object.keys(current.settings);
    const nearSettings = fc.tuple(fc.constantFrom(...settingsKeys), value).map(([k, v]) => ({ ...current.settings, [k]: v }));
    const near = fc.oneof(
      fc.constant({ version: 'current', settings: current.settings }),
      nearSettings.map((settings) => ({ version: 'current', settings })),
      fc.tuple(value, nearSettings).map(([v, settings]) => ({ version: v, settings })),
      fc.anything().map((settings) => ({ version: 'current', settings })),
    );
    await fc.assert(
      fc.asyncProperty(body(near), async (text) => {
        const res = await fetch(`${harness.url}/api/settings`, {
          method: 'PUT',
          headers: writeHeaders(session),
          body: text.replace('"version":"current"', `"version":${version}`),
        });
        if (res.status === 200) version = ((await res.clone().json()) as { version: number }).version;
        await expectClientAnswer(res);
      }),
      params(300),
    );
    await stillAnswers();
  });
});
