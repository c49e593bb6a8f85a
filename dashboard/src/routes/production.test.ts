/**
 * Production routes on the real express app over real HTTP, fed by the in-memory data source:
 * who may give and change a stop's reason, quality entries (overlaps, replace, delete), CSRF,
 * validation errors in Japanese and English, the OEE CSV, Pareto and andon answers.
 */
import { addDays, LocalTime } from '@mieruka/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { stoppedClock, testSiteZone } from '../../../test/helpers/test-clock.js';
import { parseCsv } from '../test-support/csv-parse.js';
import { loginSession, startHarness, VIEWER, writeHeaders, type Harness, type TestSession } from '../test-support/harness.js';
import { oeeRow } from '../test-support/production-fixtures.js';

const H = 3_600_000;
const MIN = 60_000;
const SITE = 'factory';
const MILL = 'mill-1';
const LATHE = 'lathe-2';
const KIOSK_TOKEN = 'kiosk-token-for-the-production-tests-01';
const tz = new LocalTime(testSiteZone());

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

type Setup = { h: Harness; admin: TestSession; viewer: TestSession; now: number; today: string; stops: { open: number; explained: number; micro: number; other: number } };

async function setup(): Promise<Setup> {
  const h = await startHarness({ now: stoppedClock(), kiosk: { enabled: true, token: KIOSK_TOKEN } });
  harness = h;
  const now = h.now();
  const today = tz.dateOf(now);
  h.data.setReportSettings({ timeZone: tz.timeZone, shifts: [] });
  h.data.setMachine(SITE, MILL, { name: '=Mill, "No.1"', intervals: [{ state: 'off', start: now - 40 * MIN, end: null }] });
  h.data.setMachine(SITE, LATHE, { name: 'Lathe', intervals: [{ state: 'running', start: now - 2 * H, end: null }] });
  const p = h.data.production;
  // An open stop of 40 min with no reason; a 20-min stop explained as setup; a 30-s microstop; a lathe stop.
  const stops = { open: now - 40 * MIN, explained: now - 3 * H, micro: now - 90 * MIN, other: now - 4 * H };
  p.addStop({ site: SITE, node: MILL, start: stops.open, end: null, state: 'off', reason: null, microstop: false });
  p.addStop({ site: SITE, node: MILL, start: stops.explained, end: stops.explained + 20 * MIN, state: 'idle', reason: { code: 'setup', by: 'admin', at: now - H }, microstop: false });
  p.addStop({ site: SITE, node: MILL, start: stops.micro, end: stops.micro + 30_000, state: 'idle', reason: null, microstop: true });
  p.addStop({ site: SITE, node: LATHE, start: stops.other, end: stops.other + 10 * MIN, state: 'off', reason: { code: 'material', by: 'viewer', at: now - H }, microstop: false });
  const admin = await loginSession(h.url);
  const viewer = await loginSession(h.url, VIEWER.username, VIEWER.password);
  return { h, admin, viewer, now, today, stops };
}

async function kioskSession(h: Harness): Promise<TestSession> {
  const res = await fetch(`${h.url}/api/kiosk/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: KIOSK_TOKEN }) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, csrfToken: body.csrfToken };
}

function putReason(h: Harness, s: TestSession, start: number, code: string, lang = 'en'): Promise<Response> {
  return fetch(`${h.url}/api/machines/${SITE}/${MILL}/stops/${start}/reason`, { method: 'PUT', headers: { ...writeHeaders(s), 'Accept-Language': lang }, body: JSON.stringify({ code }) });
}

function postQuality(h: Harness, s: TestSession, body: Record<string, unknown>, lang = 'en'): Promise<Response> {
  return fetch(`${h.url}/api/machines/${SITE}/${MILL}/quality`, { method: 'POST', headers: { ...writeHeaders(s), 'Accept-Language': lang }, body: JSON.stringify(body) });
}

describe('production routes', () => {
  it('lists stops with microstops grouped, and the stops waiting for a reason', async () => {
    const { h, admin, stops, today } = await setup();
    const res = await fetch(`${h.url}/api/machines/${SITE}/${MILL}/stops?from=${addDays(today, -1)}&to=${addDays(today, 1)}`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stops: Array<{ start: number; needsReason: boolean; durationS: number }>; microstops: { count: number; totalS: number } };
    expect(body.stops.map((s) => s.start)).toEqual([stops.explained, stops.open]);
    expect(body.stops[1]).toMatchObject({ needsReason: true, durationS: 40 * 60 });
    expect(body.microstops).toEqual({ count: 1, totalS: 30 });

    const waiting = (await (await fetch(`${h.url}/api/production/stops-needing-reason`, { headers: { cookie: admin.cookie } })).json()) as { stops: Array<{ node: string; start: number }> };
    expect(waiting.stops).toEqual([expect.objectContaining({ node: MILL, start: stops.open })]);
    const bad = await fetch(`${h.url}/api/production/stops-needing-reason?withinH=0`, { headers: { cookie: admin.cookie, 'Accept-Language': 'ja' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('整数');
  });

  it('lets anyone logged in give a missing reason, the kiosk too, but only an admin re-classify', async () => {
    const { h, admin, viewer, stops } = await setup();
    const updates: unknown[] = [];
    h.data.subscribe((u) => updates.push(u));

    // The viewer explains the open stop.
    let res = await putReason(h, viewer, stops.open, 'material');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { stop: { reason: { code: string; by: string } } }).stop.reason).toMatchObject({ code: 'material', by: VIEWER.username });
    expect(updates).toContainEqual({ type: 'production', site: SITE, node: MILL, change: 'reason' });

    // Changing it now is a re-classification: refused for the viewer (in Japanese when asked), fine for the admin.
    res = await putReason(h, viewer, stops.open, 'breakdown', 'ja');
    expect(res.status).toBe(403);
    const refused = (await res.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('FORBIDDEN');
    expect(refused.error.message).toBe('この停止には理由が入力済みです: 変更できるのは管理者だけです');
    res = await putReason(h, admin, stops.open, 'breakdown');
    expect(res.status).toBe(200);
    const list = (await h.data.machineStops(SITE, MILL, { from: stops.open, to: stops.open + 1 }))!;
    expect(list.stops[0]!.reason).toMatchObject({ code: 'breakdown', by: 'admin' });

    // The kiosk (the operator at the machine) may explain a new stop; it is recorded as the kiosk.
    const fresh = h.now() - 10 * MIN;
    h.data.production.addStop({ site: SITE, node: MILL, start: fresh, end: null, state: 'idle', reason: null, microstop: false });
    const kiosk = await kioskSession(h);
    res = await putReason(h, kiosk, fresh, 'tooling');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { stop: { reason: { by: string } } }).stop.reason.by).toBe('kiosk');
    // …but not re-classify.
    expect((await putReason(h, kiosk, fresh, 'setup')).status).toBe(403);
  });

  it('checks session, CSRF token, stop and reason', async () => {
    const { h, admin, stops } = await setup();
    const url = `${h.url}/api/machines/${SITE}/${MILL}/stops/${stops.open}/reason`;
    let res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"code":"setup"}' });
    expect(res.status).toBe(401);
    res = await fetch(url, { method: 'PUT', headers: { cookie: admin.cookie, 'Content-Type': 'application/json' }, body: '{"code":"setup"}' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CSRF_FAILED');

    // An unknown reason code, a malformed one (zod's message, in Japanese too), a microstop, no such stop.
    res = await putReason(h, admin, stops.open, 'coffee');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('code: coffee is not a reason offered for this machine');
    res = await putReason(h, admin, stops.open, 'Not A Code', 'ja');
    expect(res.status).toBe(400);
    const ja = ((await res.json()) as { error: { message: string } }).error.message;
    expect(ja.startsWith('code: ')).toBe(true);
    expect(ja).toMatch(/[ぁ-んァ-ン一-龥]/);
    expect((await putReason(h, admin, stops.micro, 'setup')).status).toBe(400);
    expect((await putReason(h, admin, stops.open + 1, 'setup')).status).toBe(404);
    res = await fetch(`${h.url}/api/machines/${SITE}/nope/stops/${stops.open}/reason`, { method: 'PUT', headers: writeHeaders(admin), body: '{"code":"setup"}' });
    expect(res.status).toBe(404);
    // Nothing of that changed the stop.
    expect((await h.data.machineStops(SITE, MILL, { from: stops.open, to: stops.open + 1 }))!.stops[0]!.reason).toBeNull();
  });

  it('offers the reasons of a machine, following the runtime settings', async () => {
    const { h, admin } = await setup();
    const view = await h.data.getSettings();
    const reasons = [
      { code: 'jam', en: 'Chip jam', ja: '切粉詰まり', category: 'breakdown' as const, machines: [MILL] },
      { code: 'wait', en: 'Waiting', ja: '待ち', category: 'other' as const, machines: [] },
    ];
    expect((await h.data.updateSettings({ ...view.settings, downtimeReasons: reasons }, view.version, 'admin')).outcome).toBe('saved');
    const mill = (await (await fetch(`${h.url}/api/machines/${SITE}/${MILL}/reasons`, { headers: { cookie: admin.cookie } })).json()) as { reasons: Array<{ code: string }> };
    expect(mill.reasons.map((r) => r.code)).toEqual(['jam', 'wait']);
    const lathe = (await (await fetch(`${h.url}/api/machines/${SITE}/${LATHE}/reasons`, { headers: { cookie: admin.cookie } })).json()) as { reasons: Array<{ code: string }> };
    expect(lathe.reasons.map((r) => r.code)).toEqual(['wait']);
    expect((await fetch(`${h.url}/api/machines/${SITE}/nope/reasons`, { headers: { cookie: admin.cookie } })).status).toBe(404);
  });

  it('adds quality entries, refuses overlaps unless replaced, and deletes by author or admin', async () => {
    const { h, admin, viewer, now } = await setup();
    const shift = { start: now - 8 * H, end: now };
    let res = await postQuality(h, viewer, { ...shift, good: 120, scrap: 3, startupScrap: 2, note: 'lot A' });
    expect(res.status).toBe(201);
    const first = ((await res.json()) as { entry: { id: number; by: string; source: string } }).entry;
    expect(first).toMatchObject({ by: VIEWER.username, source: 'dashboard' });

    // Overlapping: 409 with the ids, in the request's language.
    res = await postQuality(h, admin, { start: now - 4 * H, end: now - 2 * H, good: 10 }, 'ja');
    expect(res.status).toBe(409);
    const conflict = (await res.json()) as { error: { code: string; message: string; overlapping: number[] } };
    expect(conflict.error).toMatchObject({ code: 'CONFLICT', overlapping: [first.id] });
    expect(conflict.error.message).toContain('重なっています');
    // A button press (an instant) never overlaps.
    expect((await postQuality(h, admin, { start: now - 3 * H, end: now - 3 * H, good: 0, scrap: 1 })).status).toBe(201);

    // The kiosk may enter counts but not replace; a viewer may replace only their own entries.
    const kiosk = await kioskSession(h);
    expect((await postQuality(h, kiosk, { start: now - 4 * H, end: now - 2 * H, good: 10, replace: true })).status).toBe(403);
    res = await postQuality(h, kiosk, { start: now - 20 * H, end: now - 12 * H, good: 50 });
    expect(res.status).toBe(201);
    const byKiosk = ((await res.json()) as { entry: { id: number; by: string; source: string } }).entry;
    expect(byKiosk).toMatchObject({ by: 'kiosk', source: 'kiosk' });
    expect((await postQuality(h, viewer, { start: now - 21 * H, end: now - 11 * H, good: 60, replace: true })).status).toBe(403);
    res = await postQuality(h, admin, { start: now - 21 * H, end: now - 11 * H, good: 60, replace: true });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { replaced: number[] }).replaced).toEqual([byKiosk.id]);

    // Validation in both languages.
    res = await postQuality(h, admin, { start: now, end: now - H, good: 1 }, 'ja');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('end: end は start より前にできません');
    res = await postQuality(h, admin, { start: now - H, end: now, good: 0 });
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('good: enter at least one piece');
    res = await postQuality(h, admin, { start: now - H, end: now, good: -1, extra: true });
    expect(res.status).toBe(400);

    const list = (await (await fetch(`${h.url}/api/machines/${SITE}/${MILL}/quality?from=${addDays(tz.dateOf(now), -2)}&to=${now + 1}`, { headers: { cookie: viewer.cookie } })).json()) as { entries: Array<{ id: number; by: string }> };
    expect(list.entries.map((e) => e.by).sort()).toEqual(['admin', 'admin', VIEWER.username]);
    const adminEntry = list.entries.find((e) => e.by === 'admin')!;
    const del = (s: TestSession, id: number) => fetch(`${h.url}/api/machines/${SITE}/${MILL}/quality/${id}`, { method: 'DELETE', headers: writeHeaders(s, false) });
    expect((await del(viewer, adminEntry.id)).status).toBe(403);
    expect((await del(kiosk, first.id)).status).toBe(403);
    expect((await del(viewer, first.id)).status).toBe(204);
    expect((await del(viewer, first.id)).status).toBe(404);
    expect((await del(admin, adminEntry.id)).status).toBe(204);
    const left = await h.data.listQualityEntries(SITE, MILL, { from: now - 48 * H, to: now + 1 });
    expect(left!.map((e) => e.id)).not.toContain(first.id);
    expect(left).toHaveLength(1);
  });

  it('answers OEE as JSON and as CSV (BOM, JA/EN headers, empty cells and words for what is missing)', async () => {
    const { h, admin, today } = await setup();
    const d1 = addDays(today, -2);
    const d2 = addDays(today, -1);
    const day = (d: string) => ({ start: tz.startOfDay(d), end: tz.startOfDay(addDays(d, 1)), label: d });
    const rows = [
      oeeRow({ ...day(d1), plannedS: 28_800, noDataS: 1800, runS: 21_600, cycles: 400, idealS: 45, good: 390, scrap: 8, startupScrap: 2, kWh: 52.5, idleKWh: 6.25, losses: { breakdownS: 1200, setupS: 2400 } }),
      oeeRow({ ...day(d2), plannedS: 0, runS: 0, kWh: 1 }),
    ];
    h.data.production.setOee(SITE, MILL, { rows: { day: rows }, idealCycle: { seconds: 45, source: 'learned' }, tariffYenPerKWh: 30 });
    const q = `from=${d1}&to=${today}`;

    const json = (await (await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee?${q}&by=day`, { headers: { cookie: admin.cookie } })).json()) as {
      rows: unknown[]; total: { availability: number; quality: number }; by: string; timeZone: string; idealCycle: unknown;
    };
    expect(json.rows).toHaveLength(2);
    expect(json.by).toBe('day');
    expect(json.timeZone).toBe(tz.timeZone);
    expect(json.total.availability).toBeCloseTo(21_600 / 27_000, 10);
    expect(json.total.quality).toBeCloseTo(390 / 400, 10);
    expect(json.idealCycle).toEqual({ seconds: 45, source: 'learned' });

    let res = await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee.csv?${q}&lang=ja`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain(`mieruka_${SITE}_${MILL}_oee-day_${d1}_${d2}.csv`);
    const ja = parseCsv(Buffer.from(await res.arrayBuffer()).toString('utf8'));
    expect(ja).toHaveLength(4);
    const head = ja[0]!;
    expect(head.slice(0, 4)).toEqual(['サイト', '機械', '機械名', '期間']);
    const col = (name: string) => head.indexOf(name);
    const r1 = ja[1]!;
    expect(r1[col('機械名')]).toBe(`'=Mill, "No.1"`);
    expect(r1[col('期間')]).toBe(d1);
    expect(r1[col('時間稼働率(%)')]).toBe('80');
    // 45 s × 400 / 21,600 s = 83.33 %; 390 / 400 = 97.5 %; OEE 80 % × 83.33 % × 97.5 % = 65 %.
    expect(r1[col('性能稼働率(%)')]).toBe('83.3');
    expect(r1[col('良品率(%)')]).toBe('97.5');
    expect(r1[col('OEE(%)')]).toBe('65');
    expect(r1[col('故障(秒)')]).toBe('1200');
    expect(r1[col('待機電力量(kWh)')]).toBe('6.25');
    expect(r1[col('待機電気代(円)')]).toBe('188');
    // A day with no plan: empty ratio cells and the reason in words.
    const r2 = ja[2]!;
    expect(r2[col('時間稼働率(%)')]).toBe('');
    expect(r2[col('OEE(%)')]).toBe('');
    expect(r2[col('算出できない理由')]).toBe('計画なし / サイクル未設定 / 基準サイクル時間なし / 良品数未入力');
    expect(ja[3]![col('期間')]).toBe('合計');
    expect(ja[3]![col('電力量(kWh)')]).toBe('53.5');

    res = await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee?${q}&format=csv&lang=en`, { headers: { cookie: admin.cookie } });
    const en = parseCsv(Buffer.from(await res.arrayBuffer()).toString('utf8'));
    expect(en[0]!.slice(16, 20)).toEqual(['availability (%)', 'performance (%)', 'quality (%)', 'OEE (%)']);
    expect(en[2]!.at(-1)).toBe('no plan / no cycles / no ideal cycle time / no quality counts');
    expect(en[3]![3]).toBe('total');

    // Bad queries: 400 in the request's language; an unknown machine 404.
    res = await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee?by=week`, { headers: { cookie: admin.cookie, 'Accept-Language': 'ja' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('by: hour、shift、day、month のいずれかを指定してください');
    res = await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee?by=hour&from=${addDays(today, -40)}&to=${today}`, { headers: { cookie: admin.cookie } });
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('by=hour: at most 31 days');
    res = await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee.csv?format=json`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(400);
    expect((await fetch(`${h.url}/api/machines/${SITE}/nope/oee`, { headers: { cookie: admin.cookie } })).status).toBe(404);
    expect((await fetch(`${h.url}/api/machines/${SITE}/${MILL}/oee`)).status).toBe(401);
  });

  it('answers the Pareto of lost time per machine and for all, and the andon board', async () => {
    const { h, admin, now, today } = await setup();
    const q = `from=${addDays(today, -1)}&to=${now + 1}`;
    const get = async (path: string) => (await (await fetch(`${h.url}${path}`, { headers: { cookie: admin.cookie } })).json()) as { bars: Array<{ code: string; totalS: number; count: number; category: string }>; totalS: number };
    const mill = await get(`/api/machines/${SITE}/${MILL}/pareto?${q}`);
    expect(mill.bars.map((b) => [b.code, b.totalS, b.category])).toEqual([
      ['unexplained', 2400, 'unexplained'],
      ['setup', 1200, 'setup'],
      ['microstops', 30, 'minor_stop'],
    ]);
    expect(mill.totalS).toBe(3630);
    const all = await get(`/api/production/pareto?${q}`);
    expect(all.bars.map((b) => b.code)).toEqual(['unexplained', 'setup', 'material', 'microstops']);
    expect(all.totalS).toBe(3630 + 600);

    h.data.production.setSensorFault(SITE, LATHE, true);
    h.data.production.setToday(SITE, MILL, { availability: 0.5, performance: null, quality: null, oee: null, missing: ['cycles', 'quality'], cycles: 0 });
    const board = (await (await fetch(`${h.url}/api/andon`, { headers: { cookie: admin.cookie } })).json()) as { tiles: Array<{ node: string; state: string; sensorFault: boolean; stop: { durationS: number; needsReason: boolean } | null; today: { availability: number | null } }> };
    const millTile = board.tiles.find((t) => t.node === MILL)!;
    expect(millTile).toMatchObject({ state: 'off', sensorFault: false, stop: { durationS: 2400, needsReason: true }, today: { availability: 0.5 } });
    expect(board.tiles.find((t) => t.node === LATHE)).toMatchObject({ state: 'unknown', sensorFault: true, stop: null });
    // The kiosk reads the board too.
    const kiosk = await kioskSession(h);
    expect((await fetch(`${h.url}/api/andon`, { headers: { cookie: kiosk.cookie } })).status).toBe(200);
  });
});
