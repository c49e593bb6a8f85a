/**
 * The machine and bench pages, built fresh by Vite into a temp dir and driven by Debian's
 * Chromium against the real app fed by the in-memory data source: charts drawn, live current
 * appended without reload, timeline and jobs of a chosen day, CSV downloads, the photo, the
 * calendar heatmap, the language switch, and a portrait tablet.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { BenchScore, MachineJob, StateInterval, UsageRow } from './data-source.js';
import { addDays, LocalTime } from '@mieruka/protocol';
import { BENCH_JPEG } from './test-support/fixtures.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { stoppedClock, testSiteZone } from '../../test/helpers/test-clock.js';
import { ADMIN, startHarness, type Harness } from './test-support/harness.js';
import { logIn, watchProblems } from './test-support/web-session.js';
import { buildWebApp, type WebBuild } from './test-support/web-build.js';

const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));
const H = 3_600_000;
const MIN = 60_000;
const SITE = 'factory';
const MILL = 'protomat-s63';
const BENCH = 'bench-1';
/** The site's zone (scripts/test-at.sh --tz changes it): every date below is cut in it. */
const tz = new LocalTime(testSiteZone());

let web: WebBuild | null = null;
let outDir = '';
let harness: Harness | null = null;
let browser: Browser | null = null;
let downloadsDir = '';

beforeAll(async () => {
  web = await buildWebApp();
  outDir = web.dir;
  downloadsDir = await mkdtemp(join(tmpdir(), 'mieruka-downloads-'));
  await mkdir(resultsDir, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await web?.remove();
  if (downloadsDir) await rm(downloadsDir, { recursive: true, force: true });
});

function usageRow(start: number, end: number, label: string, runningS: number): UsageRow {
  const totalS = (end - start) / 1000;
  const seconds = { off: totalS - runningS - 3600, idle: 3600, running: runningS, unknown: 0 };
  return { start, end, label, shift: null, seconds, totalS, knownS: totalS, utilization: runningS / totalS, utilizationOfTotal: runningS / totalS };
}

/** The fixture: yesterday (in the site zone) fully known, a running stretch now, 25 min of readings, 14 days of usage, bench scores. */
function fill(h: Harness) {
  const now = h.now();
  const today = tz.dateOf(now);
  const day = addDays(today, -1);
  // A wall-clock time of yesterday (right on a 23- or 25-hour day too).
  const at = (hours: number) => tz.instant(day, Math.floor(hours), (hours % 1) * 60);
  // The running stretch of now began 65 min ago, or at midnight when that was yesterday:
  // yesterday's timeline and jobs stay what the test says, whatever time of day the run is.
  const runStart = Math.max(now - 65 * MIN, tz.startOfDay(today));
  const intervals: StateInterval[] = [
    { state: 'off', start: tz.startOfDay(addDays(day, -1)), end: at(8) },
    { state: 'running', start: at(8), end: at(11.5) },
    { state: 'idle', start: at(11.5), end: at(12.5) },
    { state: 'running', start: at(12.5), end: at(17) },
    { state: 'off', start: at(17), end: runStart },
    { state: 'running', start: runStart, end: null },
  ];
  const jobs: MachineJob[] = [
    { start: at(8), end: at(11.5), durationS: 3.5 * 3600, partial: false, interrupted: false, source: 'events' },
    { start: at(12.5), end: at(17), durationS: 4.5 * 3600, partial: true, interrupted: true, source: 'states' },
    { start: runStart, end: null, durationS: (now - runStart) / 1000, partial: false, interrupted: false, source: 'events' },
  ];
  const usage: UsageRow[] = [];
  for (let i = 13; i >= 0; i--) {
    const date = addDays(today, -i);
    const start = tz.startOfDay(date);
    const end = i === 0 ? now : tz.startOfDay(addDays(date, 1));
    usage.push(usageRow(start, end, date, Math.round(((end - start) / 1000) * ((i % 5) + 1) * 0.1)));
  }
  h.data.setMachine(SITE, MILL, { name: 'ProtoMat S63', intervals, jobs, usage: { day: usage } });
  // One reading every 2 s from 25 min ago to 3 s ago; the node snapshot (2 s ago) is the newest.
  let readings = 0;
  for (let ts = now - 25 * MIN; ts <= now - 3000; ts += 2000) {
    h.data.addReading(SITE, MILL, ts, [3 + Math.sin(ts / 60_000)]);
    readings++;
  }
  h.data.updateNode(SITE, MILL, { current: { irms: [3.21], ts: now - 2000, seq: 41 }, lastSeen: now - 2000 });

  // Bench: scores on three days of last month, and one a day over the last 5 days (the newest with the photo).
  const lastMonth = addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7);
  const scores: BenchScore[] = [];
  let seq = 0;
  const score = (ts: number, value: number, imageId: string | null = null) => {
    const s: BenchScore = { ts, seq: ++seq, score: value, coveredRatio: value / 100, slot: '09:00', imageId, imageAvailable: imageId !== null };
    scores.push(s);
    h.data.addBenchScore(SITE, BENCH, s, '第1作業台');
  };
  score(tz.startOfDay(`${lastMonth}-03`) + 9 * H, 12);
  score(tz.startOfDay(`${lastMonth}-10`) + 9 * H, 55);
  score(tz.startOfDay(`${lastMonth}-10`) + 17 * H, 35); // the day's last score counts
  score(tz.startOfDay(`${lastMonth}-17`) + 12 * H, 88);
  // These land in last month too during the first days of a month: the test expects what was seeded.
  for (let i = 5; i >= 1; i--) score(now - i * 24 * H, 20 + i * 10);
  score(now - 30 * MIN, 42, 'shot-1');
  h.data.putImage(SITE, BENCH, 'shot-1', BENCH_JPEG);
  h.data.putThumbnail(SITE, BENCH, 'shot-1', BENCH_JPEG); // the overview tile shows it
  return { now, today, day, at, intervals, jobs, readings, lastMonth, scores };
}



async function points(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute('data-points'));
}

async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).first().textContent()) ?? '';
}

/** Pixels of the canvas inside `testId` close to rgb `color`: the series was really drawn. */
async function pixelsOfColor(page: Page, testId: string, color: [number, number, number]): Promise<number> {
  return page.evaluate(
    ([id, [r, g, b]]) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"] canvas`);
      if (!canvas) return -1;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r) < 30 && Math.abs(data[i + 1]! - g) < 30 && Math.abs(data[i + 2]! - b) < 30 && data[i + 3]! > 200) n++;
      return n;
    },
    [testId, color] as const,
  );
}

async function download(page: Page, testId: string): Promise<{ name: string; text: string; href: string }> {
  const href = (await page.getByTestId(testId).getAttribute('href')) ?? '';
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = join(downloadsDir, file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), text: await readFile(path, 'utf8'), href };
}

describe('machine and bench pages in Chromium', () => {
  it('show a node catching up (waiting since, dropped) on the overview tile, the machine page and the System page, until its queue is empty', async () => {
    const h = await startHarness({ staticDir: outDir, now: stoppedClock() });
    onTestFinished(() => h.close());
    h.data.setReportSettings({ timeZone: tz.timeZone, shifts: [] });
    const f = fill(h);
    const oldestTs = f.now - 5 * H;
    h.data.updateNode(SITE, MILL, { online: true, agent: 'bridge', version: '1.0.0', backlog: { queued: 12_345, oldestTs, dropped: 7, at: f.now } });
    // The site's clock, as the dashboard writes times of day.
    const hhmm = new Intl.DateTimeFormat('ja-JP', { timeZone: tz.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(oldestTs);
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h.url);

    const tile = page.getByTestId(`tile-${SITE}-${MILL}`).getByTestId('node-catching-up');
    await tile.waitFor();
    expect(await tile.getAttribute('data-queued')).toBe('12345');
    expect(await tile.getAttribute('data-dropped')).toBe('7');
    const tileText = (await tile.textContent()) ?? '';
    expect(tileText).toContain('未送信分を受信中');
    expect(tileText).toContain(`${hhmm} 以降の 12,345 件が送信待ち`);
    expect(tileText).toContain('容量超過で 7 件を破棄');
    // The bench says nothing about a queue: no banner there.
    expect(await page.getByTestId(`tile-${SITE}-${BENCH}`).getByTestId('node-catching-up').count()).toBe(0);

    await page.goto(`${h.url}/machines/${SITE}/${MILL}`);
    await page.getByTestId('machine-page').waitFor();
    expect(await text(page, 'node-catching-up')).toContain(`${hhmm} 以降の 12,345 件が送信待ち`);

    await page.getByTestId('lang-switch').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="node-catching-up"]')?.textContent?.includes('Catching up'));
    expect(await text(page, 'node-catching-up')).toContain('12,345 messages waiting since');
    expect(await text(page, 'node-catching-up')).toContain('7 dropped (queue full)');

    await page.getByTestId('nav-system').click();
    await page.getByTestId('system-catching-up').waitFor();
    expect(await page.locator('[data-testid="system-catching-up"] li').getAttribute('data-node')).toBe(MILL);
    expect(await text(page, 'system-duplicates')).toBe('0');

    // The queue drained (a new status, pushed live): the node is no longer catching up.
    h.data.updateNode(SITE, MILL, { backlog: { queued: 0, oldestTs: null, dropped: 7, at: f.now } });
    await page.getByTestId('system-catching-up').waitFor({ state: 'detached' });
    await page.getByTestId('nav-overview').click();
    await page.getByTestId(`tile-${SITE}-${MILL}`).waitFor();
    expect(await page.getByTestId('node-catching-up').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('show live current, the timeline and jobs of a day, utilization, CSV exports, in Japanese and English', async () => {
    harness = await startHarness({ staticDir: outDir, now: stoppedClock() });
    const h = harness;
    h.data.setReportSettings({ timeZone: tz.timeZone, shifts: [] });
    const f = fill(h);
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', acceptDownloads: true });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h.url);

    // From the overview tile's page link would be nicer; the URL is the contract here.
    await page.goto(`${h.url}/machines/${SITE}/${MILL}?date=${f.day}`);
    await page.getByTestId('machine-page').waitFor();
    expect(await page.locator('h2').textContent()).toBe('ProtoMat S63');
    expect(await page.getByTestId('machine-state').getAttribute('data-state')).toBe('running');
    expect(await text(page, 'machine-state')).toContain('稼働中');

    // Live current: the stored readings plus the snapshot's newer one, drawn on the canvas.
    await page.locator('[data-testid="current-chart"] canvas').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="current-chart"]')?.getAttribute('data-points')) > 0);
    const before = await points(page, 'current-chart');
    expect(before).toBe(f.readings + 1);
    expect(await pixelsOfColor(page, 'current-chart', [29, 78, 216])).toBeGreaterThan(50);
    expect(await text(page, 'current-now')).toContain('3.21 A');
    h.data.updateNode(SITE, MILL, { current: { irms: [5.5], ts: h.now(), seq: 42 }, lastSeen: h.now() });
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="current-chart"]')?.getAttribute('data-points')) === n + 1, before);
    await page.waitForFunction(() => document.querySelector('[data-testid="current-now"]')?.textContent?.includes('5.50 A'));

    // The timeline of yesterday: exactly its five stretches, clipped to the day.
    const dayEnd = tz.startOfDay(addDays(f.day, 1));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="state-timeline"] rect.band').length > 0);
    const bands = await page.$$eval('[data-testid="state-timeline"] rect.band', (rects) => rects.map((r) => [r.getAttribute('data-key'), Number(r.getAttribute('data-start')), Number(r.getAttribute('data-end'))]));
    expect(bands).toEqual([
      ['off', f.at(0), f.at(8)],
      ['running', f.at(8), f.at(11.5)],
      ['idle', f.at(11.5), f.at(12.5)],
      ['running', f.at(12.5), f.at(17)],
      ['off', f.at(17), dayEnd],
    ]);
    // 3.5 h + 4.5 h running on that day.
    expect(await page.locator('[data-testid="state-totals"] li[data-state="running"]').textContent()).toContain('8時間0分');

    // Jobs of that day, with their flags.
    const rows = page.locator('[data-testid="jobs-table"] [data-testid="job-row"]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-start')).toBe(String(f.at(8)));
    expect(await rows.nth(0).locator('td').nth(0).textContent()).toBe('08:00:00');
    expect(await rows.nth(0).locator('td').nth(2).textContent()).toBe('3時間30分');
    expect(await rows.nth(1).locator('td').nth(3).textContent()).toBe('開始不明中断');

    // Utilization: a bar per day of the last 14, drawn in the running green.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="utilization-chart"]')?.getAttribute('data-points')) > 0);
    expect(await points(page, 'utilization-chart')).toBe(14);
    expect(await pixelsOfColor(page, 'utilization-chart', [22, 163, 74])).toBeGreaterThan(100);

    await page.screenshot({ path: join(resultsDir, 'machine-page-ja.png'), fullPage: true });

    // CSV of the day shown, in Japanese: BOM, header, one row per stretch.
    const timelineCsv = await download(page, 'csv-timeline');
    expect(timelineCsv.href).toContain(`from=${f.day}`);
    expect(timelineCsv.name).toBe(`mieruka_${SITE}_${MILL}_timeline_${f.day}.csv`);
    expect(timelineCsv.text.startsWith('\uFEFF')).toBe(true);
    const timelineLines = timelineCsv.text.slice(1).split('\r\n').filter(Boolean);
    expect(timelineLines[0]).toBe('サイト,機械,機械名,状態,開始,終了,時間(秒)');
    expect(timelineLines).toHaveLength(6);
    expect(timelineLines[2]).toContain('稼働中');

    // Week view: in the URL (kept over a reload), more stretches, prev/next move by a week.
    await page.getByTestId('view-week').click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'week');
    await page.reload();
    await page.getByTestId('state-timeline').waitFor();
    expect(await page.getByTestId('view-week').getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('range-next').click();
    await page.waitForURL((u) => !u.searchParams.has('date'));
    expect(await page.getByTestId('range-next').isDisabled()).toBe(true);

    // English: headings and the CSV header follow.
    await page.getByTestId('lang-switch').click();
    await page.waitForFunction(() => document.querySelector('#current-title')?.textContent === 'Current — last 30 minutes');
    expect(await page.locator('#timeline-title').textContent()).toBe('State timeline');
    expect(await text(page, 'machine-state')).toContain('Running');
    const jobsCsv = await download(page, 'csv-jobs');
    expect(jobsCsv.href).toContain('lang=en');
    expect(jobsCsv.text.startsWith('\uFEFF')).toBe(true);
    expect(jobsCsv.text.slice(1).split('\r\n')[0]).toBe('site,machine,machine name,start,end,duration (s),partial,interrupted,source');
    const utilCsv = await download(page, 'csv-utilization');
    expect(utilCsv.text.slice(1).split('\r\n').filter(Boolean)).toHaveLength(15);
    await page.screenshot({ path: join(resultsDir, 'machine-page-en.png'), fullPage: true });

    // An unknown machine says so instead of showing empty charts.
    await page.goto(`${h.url}/machines/${SITE}/nope`);
    await page.getByTestId('machine-unknown').waitFor();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the bench photo, score trend and a heatmap cell per day with data', async () => {
    const h = harness!;
    const f = { today: tz.dateOf(h.now()) };
    const lastMonth = addDays(`${f.today.slice(0, 7)}-01`, -1).slice(0, 7);
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', acceptDownloads: true });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h.url);
    await page.evaluate(() => localStorage.setItem('mieruka.lang', 'ja'));

    await page.goto(`${h.url}/benches/${SITE}/${BENCH}?period=${lastMonth}`);
    await page.getByTestId('bench-page').waitFor();
    expect(await page.locator('h2').textContent()).toContain('第1作業台');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid="bench-photo"]');
      return img !== null && img.complete && img.naturalWidth === 160;
    });
    expect(await text(page, 'bench-score')).toBe('42');

    // Trend: every score of the last 30 local days.
    const trendFrom = tz.startOfDay(addDays(f.today, -29));
    const all = (await h.data.benchScores(SITE, BENCH, { from: 0, to: h.now() + H }, 1000))!;
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="score-trend"]')?.getAttribute('data-points')) > 0);
    expect(await points(page, 'score-trend')).toBe(all.filter((s) => s.ts >= trendFrom).length);

    // Last month's calendar: a cell for each day with a score, coloured by the day's last score
    // (03, 10 and 17, plus the recent ones that fell into last month on the first days of a month).
    await page.getByTestId('calendar-heatmap').waitFor();
    const cells = await page.$$eval('[data-testid="calendar-heatmap"] [data-testid="heatmap-day"]', (gs) => gs.map((g) => [g.getAttribute('data-date'), Number(g.getAttribute('data-value'))]));
    const lastOfDay = new Map<string, number>();
    for (const s of [...all].sort((a, b) => a.ts - b.ts)) if (tz.dateOf(s.ts).startsWith(lastMonth)) lastOfDay.set(tz.dateOf(s.ts), s.score);
    const expectedCells = [...lastOfDay].sort(([a], [b]) => a.localeCompare(b));
    expect(expectedCells.slice(0, 3)).toEqual([
      [`${lastMonth}-03`, 12],
      [`${lastMonth}-10`, 35],
      [`${lastMonth}-17`, 88],
    ]);
    expect(cells).toEqual(expectedCells);
    expect(await page.locator(`[data-testid="heatmap-day"][data-date="${lastMonth}-10"] title`).textContent()).toContain('最大 55');
    await page.screenshot({ path: join(resultsDir, 'bench-page-ja.png'), fullPage: true });

    const calendarCsv = await download(page, 'csv-calendar');
    expect(calendarCsv.href).toContain(`month=${lastMonth}`);
    expect(calendarCsv.text.startsWith('\uFEFF')).toBe(true);
    expect(calendarCsv.text.slice(1).split('\r\n').filter(Boolean)).toHaveLength(1 + expectedCells.length);
    const trendCsv = await download(page, 'csv-trend');
    expect(trendCsv.text.slice(1).split('\r\n')[0]).toBe('サイト,作業台,作業台名,日時,時間帯,散乱度,被覆率,画像ID,画像あり');

    // Year view: the URL says so, and every day with a score this year has a cell.
    await page.getByTestId('calendar-year').click();
    await page.waitForURL((u) => u.searchParams.get('cal') === 'year');
    const year = lastMonth.slice(0, 4);
    const daysThisYear = new Set(all.map((s) => tz.dateOf(s.ts)).filter((d) => d.startsWith(year)));
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="calendar-heatmap"] [data-testid="heatmap-day"]').length === n, daysThisYear.size);
    await page.screenshot({ path: join(resultsDir, 'bench-page-year-ja.png'), fullPage: true });

    // English headings.
    await page.getByTestId('lang-switch').click();
    await page.waitForFunction(() => document.querySelector('#calendar-title')?.textContent === 'Clutter calendar');
    expect(await page.locator('#trend-title').textContent()).toBe('Clutter score — last 30 days');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('fits a portrait tablet (800×1280) and a phone without horizontal scrolling', async () => {
    const h = harness!;
    const context = await browser!.newContext({ viewport: { width: 800, height: 1280 }, locale: 'ja-JP' });
    const page = await context.newPage();
    await logIn(page, h.url);
    await page.evaluate(() => localStorage.setItem('mieruka.lang', 'ja'));
    await page.goto(`${h.url}/machines/${SITE}/${MILL}`);
    await page.locator('[data-testid="current-chart"] canvas').waitFor();
    await page.locator('[data-testid="utilization-chart"] canvas').waitFor();
    await page.getByTestId('state-timeline').waitFor();
    // The charts follow the container: none is wider than the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    const chartWidth = await page.evaluate(() => document.querySelector('[data-testid="current-chart"] canvas')!.getBoundingClientRect().width);
    expect(chartWidth).toBeGreaterThan(600);
    expect(chartWidth).toBeLessThanOrEqual(800);
    await page.screenshot({ path: join(resultsDir, 'machine-page-tablet.png'), fullPage: true });

    // A phone: narrower, still no sideways scrolling of the page (the year calendar scrolls inside its card).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${h.url}/benches/${SITE}/${BENCH}?cal=year`);
    await page.getByTestId('calendar-heatmap').waitFor();
    await page.locator('[data-testid="score-trend"] canvas').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(resultsDir, 'bench-page-phone-ja.png'), fullPage: true });
    await page.goto(`${h.url}/machines/${SITE}/${MILL}?view=week`);
    await page.getByTestId('state-timeline').waitFor();
    await page.locator('[data-testid="utilization-chart"] canvas').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(resultsDir, 'machine-page-phone-ja.png'), fullPage: true });
    await context.close();
  });
});
