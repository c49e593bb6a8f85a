/**
 * Production figures in Chromium, against the real app fed by the in-memory data source: the
 * machine page's OEE section (figures in words when they cannot be computed), stops and their
 * reasons, quality counts with an overlap replaced; the reason prompt (a reason picked is
 * saved; a new stop asks again, live); the andon board on the kiosk, a sensor fault shown as
 * such; the downtime reasons editor. Screenshots go to dashboard/test-results/, and with
 * UPDATE_DOC_SCREENSHOTS=1 also to docs/screenshots/ (machine-oee, reason-prompt, andon).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { addDays, LocalTime } from '@mieruka/protocol';
import type { OeeRow } from '@mieruka/protocol/model';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { launchChromium } from '../../test/helpers/chromium.js';
import { stoppedClock, testSiteZone } from '../../test/helpers/test-clock.js';
import { parseCsv } from './test-support/csv-parse.js';
import { BENCH_JPEG } from './test-support/fixtures.js';
import { ADMIN, startHarness, VIEWER, type Harness } from './test-support/harness.js';
import { logIn, watchProblems } from './test-support/web-session.js';
import { oeeRow } from './test-support/production-fixtures.js';
import { buildWebApp, type WebBuild } from './test-support/web-build.js';

const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));
const docsDir = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const H = 3_600_000;
const MIN = 60_000;
const SITE = 'factory';
const MILL = 'protomat-s63';
const LATHE = 'lathe-2';
const KIOSK_TOKEN = 'kiosk-token-for-the-andon-board-0123456';
const tz = new LocalTime(testSiteZone());

let web: WebBuild | null = null;
let browser: Browser | null = null;
let downloadsDir = '';

beforeAll(async () => {
  web = await buildWebApp();
  downloadsDir = await mkdtemp(join(tmpdir(), 'mieruka-downloads-'));
  await mkdir(resultsDir, { recursive: true });
  if (process.env.UPDATE_DOC_SCREENSHOTS === '1') await mkdir(docsDir, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.remove();
  if (downloadsDir) await rm(downloadsDir, { recursive: true, force: true });
});

async function shot(page: Page | Locator, name: string, fullPage = true): Promise<void> {
  const path = join(resultsDir, name);
  await ('goto' in page ? page.screenshot({ path, fullPage }) : page.screenshot({ path }));
  if (process.env.UPDATE_DOC_SCREENSHOTS === '1') await copyFile(path, join(docsDir, name));
}

/** Two machines; the mill with 40 days of OEE rows (today: no cycles and no counts yet), stops, an open one waiting for a reason. */
async function start(): Promise<{ h: Harness; now: number; today: string; rows: OeeRow[]; openStop: number }> {
  const h = await startHarness({ staticDir: web!.dir, now: stoppedClock(), kiosk: { enabled: true, token: KIOSK_TOKEN } });
  onTestFinished(() => h.close());
  const now = h.now();
  const today = tz.dateOf(now);
  h.data.setReportSettings({ timeZone: tz.timeZone, shifts: [] });
  h.data.putThumbnail(SITE, 'bench-1', 'shot-1', BENCH_JPEG); // the sample bench's overview tile
  h.data.setMachine(SITE, MILL, { name: 'ProtoMat S63', intervals: [{ state: 'off', start: now - 40 * MIN, end: null }] });
  h.data.setMachine(SITE, LATHE, { name: 'NC旋盤', intervals: [{ state: 'running', start: now - 2 * H, end: null }] });
  h.data.updateNode(SITE, MILL, { online: true, state: { state: 'off', since: now - 40 * MIN, ts: now }, current: { irms: [0.1], ts: now, seq: 1 }, lastSeen: now });
  h.data.updateNode(SITE, LATHE, { online: true, state: { state: 'running', since: now - 2 * H, ts: now }, current: { irms: [6.2], ts: now, seq: 1 }, lastSeen: now });

  const rows: OeeRow[] = [];
  for (let i = 40; i >= 1; i--) {
    const date = addDays(today, -i);
    const s = tz.startOfDay(date);
    const e = tz.startOfDay(addDays(date, 1));
    rows.push(
      oeeRow({
        start: s, end: e, label: date, plannedS: 8 * 3600, runS: (6 + (i % 2)) * 3600, cycles: 380 + (i % 5) * 10, idealS: 45, good: 370 + (i % 5) * 10, scrap: 4 + (i % 4), startupScrap: 2,
        kWh: 40 + (i % 7), idleKWh: 5 + (i % 3), losses: { breakdownS: (i % 4) * 600, setupS: 1800, unexplainedS: 900, minorStopS: 300, reducedSpeedS: 1200, defectS: 45 * 6 },
      }),
    );
  }
  const todayStart = tz.startOfDay(today);
  rows.push(oeeRow({ start: todayStart, end: now, label: today, plannedS: 4 * 3600, runS: 3 * 3600, kWh: 12.5, idleKWh: 2.5, losses: { unexplainedS: 2400 } }));
  h.data.production.setOee(SITE, MILL, { rows: { day: rows }, idealCycle: { seconds: 45, source: 'learned' } });

  const p = h.data.production;
  const openStop = now - 40 * MIN;
  p.addStop({ site: SITE, node: MILL, start: openStop, end: null, state: 'off', reason: null, microstop: false });
  p.addStop({ site: SITE, node: MILL, start: now - 3 * H, end: now - 3 * H + 20 * MIN, state: 'idle', reason: { code: 'setup', by: 'admin', at: now - 2 * H }, microstop: false });
  p.addStop({ site: SITE, node: MILL, start: now - 150 * MIN, end: now - 150 * MIN + 40_000, state: 'idle', reason: null, microstop: true });
  p.addStop({ site: SITE, node: LATHE, start: now - 5 * H, end: now - 5 * H + 30 * MIN, state: 'off', reason: { code: 'material', by: 'viewer', at: now - 4 * H }, microstop: false });
  p.setToday(SITE, MILL, { availability: 0.75, performance: null, quality: null, oee: null, missing: ['cycles', 'quality'], cycles: 0 });
  p.setToday(SITE, LATHE, { availability: 0.912, performance: 0.874, quality: 0.981, oee: 0.912 * 0.874 * 0.981, missing: [], cycles: 212 });
  return { h, now, today, rows, openStop };
}



const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().textContent()) ?? '';

describe('production figures in Chromium', () => {
  it('machine page: OEE today/week/month in words when missing, losses, energy, CSV, stops re-classified, counts replaced', async () => {
    const { h, now, today } = await start();
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', acceptDownloads: true });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h.url);
    await page.goto(`${h.url}/machines/${SITE}/${MILL}?view=week`);
    await page.getByTestId('oee-section').waitFor();
    // The prompt asks about the open stop; later.
    await page.getByTestId('reason-later').click();
    await page.getByTestId('reason-prompt').waitFor({ state: 'detached' });

    // Today: availability 3 h of 4 h; no cycles and no counts yet → words, not 0 %.
    const todayCard = page.getByTestId('oee-today');
    await todayCard.getByTestId('figure-oee').waitFor();
    expect(await todayCard.getByTestId('figure-availability').getAttribute('data-value')).toBe('0.7500');
    expect(await todayCard.getByTestId('figure-availability').textContent()).toContain('75.0%');
    expect(await todayCard.getByTestId('figure-performance').textContent()).toContain('サイクルなし');
    expect(await todayCard.getByTestId('figure-quality').textContent()).toContain('良品数未入力');
    expect(await todayCard.getByTestId('figure-oee').textContent()).toContain('サイクルなし');

    // This month: the hub's totals, shown as they are.
    const monthStart = `${today.slice(0, 7)}-01`;
    const month = (await h.data.machineOee(SITE, MILL, { from: tz.startOfDay(monthStart), to: tz.startOfDay(addDays(today, 1)) }, 'day'))!;
    const monthCard = page.getByTestId('oee-month');
    await monthCard.getByTestId('figure-availability').waitFor();
    expect(await monthCard.getByTestId('figure-availability').getAttribute('data-value')).toBe(month.total.availability!.toFixed(4));
    expect(Number(await monthCard.getByTestId('figure-quality').getAttribute('data-value'))).toBeCloseTo(month.total.quality!, 4);
    // A row per day of this month so far, today's performance in words.
    const dayRows = page.locator('[data-testid="oee-row"]');
    await dayRows.first().waitFor();
    expect(await dayRows.count()).toBe(month.rows.length);
    expect(await page.locator(`[data-testid="oee-row"][data-label="${today}"] td[data-part="performance"]`).textContent()).toBe('サイクルなし');
    // The chart: a bar slot per day (today's OEE cannot be computed: no bar, not a 0).
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="oee-chart"]')?.getAttribute('data-points')) > 0);
    expect(Number(await page.getByTestId('oee-chart').getAttribute('data-points'))).toBe(month.rows.length);
    // Six big losses and energy (today: 12.5 kWh, 2.5 kWh idle at 30 yen → 75 yen).
    expect(Number(await page.locator('[data-testid="six-losses"] [data-loss="setupS"]').getAttribute('data-seconds'))).toBe(month.total.losses.setupS);
    expect(await page.getByTestId('energy-today').getAttribute('data-idle-cost')).toBe('75');
    expect(await text(page, 'energy-today')).toContain('¥75');
    expect(await text(page, 'ideal-cycle')).toContain('45');

    // Stops of the week: the open one and the explained one (the microstop only counted).
    const stopRows = page.locator('[data-testid="stop-row"]');
    await stopRows.first().waitFor();
    expect(await stopRows.count()).toBe(2);
    expect(await text(page, 'microstops')).toContain('チョコ停 1回');
    // The admin re-classifies the setup stop as a breakdown.
    const setupRow = page.locator(`[data-testid="stop-row"][data-reason="setup"]`);
    await setupRow.getByTestId('stop-reason').selectOption('breakdown');
    await page.getByTestId('stop-reason-saved').waitFor();
    const stops = (await h.data.machineStops(SITE, MILL, { from: now - 4 * H, to: now }))!;
    expect(stops.stops.find((s) => s.start === now - 3 * H)!.reason).toMatchObject({ code: 'breakdown', by: 'admin' });

    // Quality counts for yesterday's shift; an overlapping entry is refused, then replaces it.
    const yesterday = addDays(today, -1);
    const fillEntry = async (from: string, to: string, good: string, scrap: string) => {
      await page.getByTestId('quality-start-date').fill(yesterday);
      await page.getByTestId('quality-start-time').fill(from);
      await page.getByTestId('quality-end-date').fill(yesterday);
      await page.getByTestId('quality-end-time').fill(to);
      await page.getByTestId('quality-good').fill(good);
      await page.getByTestId('quality-scrap').fill(scrap);
      await page.getByTestId('quality-add').click();
    };
    await fillEntry('08:00', '17:00', '120', '3');
    await page.getByTestId('quality-added').waitFor();
    await page.locator('[data-testid="quality-row"]').first().waitFor();
    let entries = (await h.data.listQualityEntries(SITE, MILL, { from: now - 3 * 24 * H, to: now }))!;
    expect(entries).toEqual([expect.objectContaining({ start: tz.instant(yesterday, 8, 0), end: tz.instant(yesterday, 17, 0), good: 120, scrap: 3, by: 'admin', source: 'dashboard' })]);
    await fillEntry('12:00', '20:00', '50', '1');
    await page.getByTestId('quality-overlap').waitFor();
    expect(await text(page, 'quality-overlap')).toContain('1件と重なっています');
    // Chromium logs the refused POST (409): that one was expected.
    expect(problems.splice(0)).toEqual([expect.stringMatching(/^409 .*\/quality$/)]);
    await page.getByTestId('quality-replace').click();
    await page.getByTestId('quality-overlap').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="quality-row"]').length === 1 && document.querySelector('[data-testid="quality-row"] td:nth-child(2)')?.textContent === '50');
    entries = (await h.data.listQualityEntries(SITE, MILL, { from: now - 3 * 24 * H, to: now }))!;
    expect(entries.map((e) => [e.good, e.scrap, e.start])).toEqual([[50, 1, tz.instant(yesterday, 12, 0)]]);

    await page.screenshot({ path: join(resultsDir, 'machine-oee-full.png'), fullPage: true });
    await shot(page.getByTestId('oee-section'), 'machine-oee.png');

    // CSV of this month per day, in Japanese.
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-oee').click()]);
    const path = join(downloadsDir, file.suggestedFilename());
    await file.saveAs(path);
    const csv = parseCsv(await readFile(path, 'utf8'));
    expect(csv[0]!.slice(16, 20)).toEqual(['時間稼働率(%)', '性能稼働率(%)', '良品率(%)', 'OEE(%)']);
    expect(csv).toHaveLength(1 + month.rows.length + 1);

    // English words for what is missing.
    await page.getByTestId('lang-switch').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="oee-today"] [data-testid="figure-performance"]')?.textContent?.includes('no cycles'));
    expect(await todayCard.getByTestId('figure-quality').textContent()).toContain('no counts entered');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reason prompt: a viewer picks a reason (saved), a new stop asks again live; the kiosk answers with big buttons', async () => {
    const { h, now, openStop } = await start();
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h.url, VIEWER);
    const prompt = page.getByTestId('reason-prompt');
    await prompt.waitFor();
    expect(await prompt.getAttribute('data-start')).toBe(String(openStop));
    expect(await prompt.textContent()).toContain('ProtoMat S63 が');
    await page.locator('[data-testid="reason-button"]').first().waitFor();
    const codes = await page.locator('[data-testid="reason-button"]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-code')));
    expect(codes).toEqual((await h.data.downtimeReasons({ site: SITE, node: MILL })).map((r) => r.code));
    await shot(page, 'reason-prompt.png', false);

    // Under the prompt, the overview's Pareto of today over all machines: the hub's bars, in order.
    const todayDate = tz.dateOf(now);
    const pareto = await h.data.downtimePareto({ from: tz.startOfDay(todayDate), to: tz.startOfDay(addDays(todayDate, 1)) }, null);
    if (pareto.bars.length === 0) await page.getByTestId('pareto-empty').waitFor();
    else {
      await page.locator('[data-testid="pareto-bar"]').first().waitFor();
      expect(await page.locator('[data-testid="pareto-bar"]').evaluateAll((bars) => bars.map((b) => b.getAttribute('data-code')))).toEqual(pareto.bars.map((b) => b.code));
    }

    await page.locator('[data-testid="reason-button"][data-code="material"]').click();
    await prompt.waitFor({ state: 'detached' });
    const saved = (await h.data.machineStops(SITE, MILL, { from: openStop, to: openStop + 1 }))!.stops[0]!;
    expect(saved.reason).toMatchObject({ code: 'material', by: VIEWER.username });

    // A new long stop on the lathe: the hub says so live, the prompt comes back without a reload.
    const lathStop = now - 6 * MIN;
    h.data.production.addStop({ site: SITE, node: LATHE, start: lathStop, end: null, state: 'idle', reason: null, microstop: false });
    await page.waitForFunction((s) => document.querySelector('[data-testid="reason-prompt"]')?.getAttribute('data-start') === String(s), lathStop);
    expect(await prompt.textContent()).toContain('NC旋盤');
    expect(problems).toEqual([]);
    await context.close();

    // The kiosk by the lathe: big touch buttons, the answer recorded as the kiosk's.
    const wall = await browser!.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ja-JP' });
    const kioskPage = await wall.newPage();
    const kioskProblems = watchProblems(kioskPage);
    await kioskPage.goto(`${h.url}/kiosk/${KIOSK_TOKEN}/andon`);
    await kioskPage.locator('.reason-prompt.kiosk [data-testid="reason-button"]').first().waitFor();
    const height = await kioskPage.locator('[data-testid="reason-button"]').first().evaluate((b) => b.getBoundingClientRect().height);
    expect(height).toBeGreaterThanOrEqual(80);
    await kioskPage.locator('[data-testid="reason-button"][data-code="tooling"]').click();
    await kioskPage.getByTestId('reason-prompt').waitFor({ state: 'detached' });
    const lathe = (await h.data.machineStops(SITE, LATHE, { from: lathStop, to: lathStop + 1 }))!.stops[0]!;
    expect(lathe.reason).toMatchObject({ code: 'tooling', by: 'kiosk' });
    expect(kioskProblems).toEqual([]);
    await wall.close();
  });

  it('andon on the kiosk: state colours, the stop and its reason, today\'s OEE in very large type, a sensor fault as such', async () => {
    const { h, openStop } = await start();
    h.data.setMachine(SITE, 'drill-3', { name: 'ボール盤', intervals: [{ state: 'off', start: h.now() - H, end: null }] });
    h.data.production.setSensorFault(SITE, 'drill-3', true);
    // The mill's open stop already has its reason: the andon shows it, no prompt on the wall.
    await h.data.setStopReason({ site: SITE, node: MILL, start: openStop, code: 'breakdown' }, 'admin');
    const wall = await browser!.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ja-JP' });
    const page = await wall.newPage();
    const problems = watchProblems(page);
    await page.goto(`${h.url}/kiosk/${KIOSK_TOKEN}/andon`);
    const mill = page.getByTestId(`andon-${SITE}-${MILL}`);
    const lathe = page.getByTestId(`andon-${SITE}-${LATHE}`);
    const drill = page.getByTestId(`andon-${SITE}-drill-3`);
    await mill.waitFor();
    expect(await mill.getAttribute('data-state')).toBe('off');
    expect(await mill.getByTestId('andon-stop').textContent()).toBe('停止 40分');
    expect(await mill.getByTestId('andon-reason').textContent()).toBe('故障');
    expect(await mill.getByTestId('andon-oee').textContent()).toBe('サイクルなし');
    expect(await lathe.getAttribute('data-state')).toBe('running');
    expect(await lathe.getByTestId('andon-stop').count()).toBe(0);
    expect(await lathe.getByTestId('andon-oee').textContent()).toBe(`${((0.912 * 0.874 * 0.981) * 100).toFixed(1)}%`);
    // Readable across a hall: the OEE figure is at least 64 px high.
    const size = await lathe.getByTestId('andon-oee').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(size).toBeGreaterThanOrEqual(64);
    // The drill's clamp is unplugged: a sensor fault, not "off", and no stop booked.
    expect(await drill.getAttribute('data-sensor-fault')).toBe('true');
    expect(await drill.getByTestId('andon-state').textContent()).toContain('センサー異常');
    expect(await drill.getByTestId('andon-stop').count()).toBe(0);
    expect(await page.getByTestId('reason-prompt').count()).toBe(0);
    // The live state comes through without a reload.
    h.data.updateNode(SITE, LATHE, { state: { state: 'idle', since: h.now(), ts: h.now() } });
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-state') === 'idle', `andon-${SITE}-${LATHE}`);
    h.data.updateNode(SITE, LATHE, { state: { state: 'running', since: h.now(), ts: h.now() } });
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-state') === 'running', `andon-${SITE}-${LATHE}`);
    await shot(page, 'andon.png', false);

    // The operator enters the pieces just finished on the lathe's tile: an entry at this instant, from the kiosk.
    await lathe.getByTestId('andon-counts-open').click();
    await lathe.getByTestId('andon-good').fill('12');
    await lathe.getByTestId('andon-scrap').fill('1');
    await lathe.getByTestId('andon-counts-save').click();
    await lathe.getByTestId('andon-counts').waitFor({ state: 'detached' });
    const entries = (await h.data.listQualityEntries(SITE, LATHE, { from: h.now() - H, to: h.now() + H }))!;
    expect(entries).toEqual([expect.objectContaining({ good: 12, scrap: 1, startupScrap: 0, source: 'kiosk', by: 'kiosk' })]);
    // At the hub's clock (the test's clock stands still; the browser's runs on from it).
    expect(entries[0]!.end).toBe(entries[0]!.start);
    expect(entries[0]!.start - h.now()).toBeGreaterThanOrEqual(0);
    expect(entries[0]!.start - h.now()).toBeLessThan(5 * MIN);
    expect(problems).toEqual([]);
    await wall.close();
  });

  it('settings: an admin adds a downtime reason for one machine; the machine page offers it', async () => {
    const { h } = await start();
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h.url);
    await page.getByTestId('reason-later').click();
    await page.getByTestId('nav-settings').click();
    const section = page.getByTestId('settings-reasons');
    await section.waitFor();
    const before = await section.locator('[data-testid="reason-row"]').count();
    await section.getByTestId('reason-add').click();
    const row = section.locator('[data-testid="reason-row"]').nth(before);
    await row.getByTestId('reason-code').fill('chip-jam');
    await row.getByTestId('reason-ja').fill('切粉詰まり');
    await row.getByTestId('reason-en').fill('Chip jam');
    await row.getByTestId('reason-category').selectOption('breakdown');
    await row.locator('label', { hasText: MILL }).locator('input').check();
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    const saved = (await h.data.getSettings()).settings.downtimeReasons!;
    expect(saved.at(-1)).toEqual({ code: 'chip-jam', en: 'Chip jam', ja: '切粉詰まり', category: 'breakdown', machines: [MILL] });
    expect((await h.data.downtimeReasons({ site: SITE, node: LATHE })).map((r) => r.code)).not.toContain('chip-jam');

    await page.goto(`${h.url}/machines/${SITE}/${MILL}`);
    await page.locator('[data-testid="reason-prompt"] [data-testid="reason-button"][data-code="chip-jam"]').waitFor();
    expect(await page.locator('[data-testid="reason-prompt"] [data-code="chip-jam"]').textContent()).toBe('切粉詰まり');
    expect(problems).toEqual([]);
    await context.close();
  });
});
