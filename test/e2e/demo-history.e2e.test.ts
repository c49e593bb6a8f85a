/**
 * The demo's month at first glance, in Debian's Chromium: the real Demo (hub, dashboard,
 * simulated machines and bench in-process) backfills 30 days, and the dashboard shows them —
 * 14 utilization bars (every day known, weekdays busy, weekends zero), the jobs of a past
 * week, the OEE section's month (Performance, Quality, scrap, energy) and the month's Pareto,
 * the bench calendar with three scores on every past weekday, and past alarms both
 * acknowledged and open. Dates come from the clock the demo runs on (the system's, which
 * scripts/test-at.sh moves with faketime). Screenshots go to test/test-results/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Demo } from '@mieruka/cli';
import { addDays, LocalTime, parseConfig, weekdayOf, type UsageReport } from '@mieruka/protocol';
import { launchChromium } from '../helpers/chromium.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testSiteZone } from '../helpers/test-clock.js';

const ADMIN = { username: 'admin', password: 'admin-password-1' };
const SITE = 'factory';
const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));
const isWorkday = (date: string) => weekdayOf(date) >= 1 && weekdayOf(date) <= 5;

describe("the demo's month of history in the dashboard", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let demo: Demo;
  let browser: Browser;
  const zone = testSiteZone();
  const local = new LocalTime(zone);
  let today = '';

  beforeAll(async () => {
    dir = await makeTempDir();
    const config = parseConfig({
      text: JSON.stringify({
        site: SITE,
        timezone: zone,
        hub: { dataDir: join(dir.path, 'data'), mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } },
        dashboard: { adminUser: ADMIN.username, adminPassword: ADMIN.password },
      }),
    });
    demo = new Demo({ config, logger: pino({ level: 'silent' }), serial: 'in-process', clutterIntervalS: 3600 });
    await demo.start();
    // The demo's clock is the system's: its "today" is the one the history ends on.
    today = local.dateOf(Date.now());
    browser = await launchChromium();
    await mkdir(resultsDir, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await dir?.remove();
  });

  async function loggedIn(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(demo.hub.httpUrl);
    await page.getByTestId('login-form').waitFor();
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
    return { page, problems };
  }

  it('shows 30 days on the machine page, the bench calendar and the alarms', async () => {
    expect(demo.history).toMatchObject({ backfilled: true, days: 30 });
    const { page, problems } = await loggedIn();
    const machine = demo.machineIds[0]!;
    // A week that ended before today, seen on the machine page.
    let weekEnd = addDays(today, -1);
    while (!isWorkday(weekEnd)) weekEnd = addDays(weekEnd, -1);

    // Utilization: the last 14 days as bars, each day known; busy weekdays, idle weekends (before today).
    const utilization = page.waitForResponse((r) => r.url().includes('/utilization?by=day&from='));
    await page.goto(`${demo.hub.httpUrl}/machines/${SITE}/${machine}?view=week&date=${weekEnd}`);
    await page.getByTestId('machine-page').waitFor();
    const report = (await (await utilization).json()) as UsageReport;
    expect(report.rows.map((r) => r.label)).toEqual(Array.from({ length: 14 }, (_v, i) => addDays(today, i - 13)));
    for (const row of report.rows) {
      expect(row.knownS, row.label).toBeGreaterThan(0);
      if (row.label === today) continue; // the live simulator works whatever the day
      if (isWorkday(row.label)) expect(row.utilization, row.label).toBeGreaterThan(0);
      else expect(row.utilization, row.label).toBe(0);
    }
    const chart = page.getByTestId('utilization-chart');
    await page.waitForFunction(() => document.querySelector('[data-testid="utilization-chart"]')?.getAttribute('data-points') === '14', undefined, { timeout: 10_000 });
    // uPlot draws its canvas on the frame after the data arrives.
    await chart.locator('canvas').first().waitFor({ timeout: 10_000 });
    await page.getByTestId('utilization-total').waitFor();

    // The jobs of that week.
    await page.locator('[data-testid="job-row"]').first().waitFor({ timeout: 10_000 });
    const starts = await page.locator('[data-testid="job-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-start'))));
    expect(starts.length).toBeGreaterThan(5);
    const weekFrom = local.startOfDay(addDays(weekEnd, -6));
    const weekTo = local.startOfDay(addDays(weekEnd, 1));
    expect(starts.filter((s) => s >= weekFrom && s < weekTo).length).toBeGreaterThan(5);

    // The OEE section. Its month is today's calendar month: when it holds working days of the
    // history, they give Performance and Quality (Quality only from the history's daily entries),
    // scrap among the losses, and more energy than today's live readings alone.
    const monthStart = `${today.slice(0, 7)}-01`;
    let pastWorkdays = 0;
    for (let d = monthStart; d < today; d = addDays(d, 1)) if (isWorkday(d)) pastWorkdays += 1;
    const month = page.getByTestId('oee-month');
    await month.getByTestId('figure-quality').waitFor({ timeout: 10_000 });
    const figure = async (part: string) => month.getByTestId(`figure-${part}`).getAttribute('data-value');
    await page.getByTestId('energy-month').waitFor({ timeout: 10_000 });
    await page.getByTestId('energy-today').waitFor({ timeout: 10_000 });
    const monthKWh = Number(await page.getByTestId('energy-month').getAttribute('data-kwh'));
    const todayKWh = Number(await page.getByTestId('energy-today').getAttribute('data-kwh'));
    if (pastWorkdays > 0) {
      expect(Number(await figure('performance'))).toBeGreaterThan(0.5);
      const quality = Number(await figure('quality'));
      expect(quality > 0.95 && quality < 1, `quality ${quality}`).toBe(true);
      expect(Number(await page.locator('[data-testid="six-losses"] [data-loss="defectS"]').getAttribute('data-seconds'))).toBeGreaterThan(0);
      expect(monthKWh).toBeGreaterThan(todayKWh);
    } else {
      // The first working day of a month: nothing entered yet this month.
      expect(await figure('quality')).toBe('');
      expect(monthKWh).toBeGreaterThanOrEqual(todayKWh);
    }
    await page.screenshot({ path: join(resultsDir, 'e2e-demo-history-machine.png'), fullPage: true });
    // The month's lost time by reason (the dashboard's API): the stoppage is a breakdown, other stops wait for a reason.
    const pareto = (await (await page.request.get(`${demo.hub.httpUrl}/api/machines/${SITE}/${machine}/pareto?from=${addDays(today, -30)}&to=${today}`)).json()) as { bars: Array<{ code: string }> };
    expect(pareto.bars.map((b) => b.code)).toEqual(expect.arrayContaining(['breakdown', 'unexplained']));

    // The bench calendar: each month of the history, three scores on every past weekday.
    const firstDate = addDays(today, -30);
    // Every month the 30 days touch (three when they start on a 30th or 31st and end on a 1st).
    const months = new Set<string>();
    for (let d = firstDate; d < today; d = addDays(d, 1)) months.add(d.slice(0, 7));
    for (const month of months) {
      await page.goto(`${demo.hub.httpUrl}/benches/${SITE}/${demo.stationId}?period=${month}`);
      await page.getByTestId('calendar-heatmap').waitFor({ timeout: 10_000 });
      const cells = await page.locator('[data-testid="heatmap-day"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-date') ?? ''));
      const expected: string[] = [];
      for (let d = firstDate; d < today; d = addDays(d, 1)) if (d.startsWith(month) && isWorkday(d)) expected.push(d);
      expect(cells.filter((d) => d < today).sort(), month).toEqual(expected);
    }
    await page.screenshot({ path: join(resultsDir, 'e2e-demo-history-bench.png'), fullPage: true });
    const days = await (await page.request.get(`${demo.hub.httpUrl}/api/benches/${SITE}/${demo.stationId}/calendar?month=${firstDate.slice(0, 7)}`)).json();
    for (const d of (days as { days: Array<{ date: string; count: number }> }).days) if (d.date >= firstDate && d.date < today) expect(d.count, d.date).toBe(3);

    // The alarm history: alarms of past days, some acknowledged (then), some not, the stoppage among them.
    await page.goto(`${demo.hub.httpUrl}/alarms?tab=history&from=${firstDate}&to=${today}`);
    await page.getByTestId('alarms-page').waitFor();
    await page.locator('[data-testid="alarm-row"]').first().waitFor({ timeout: 10_000 });
    const rows = await page.locator('[data-testid="alarm-row"]').evaluateAll((els) => els.map((e) => ({ acked: e.getAttribute('data-acknowledged'), text: e.textContent ?? '' })));
    expect(rows.some((r) => r.acked === 'true' && r.text.includes('demo-foreman'))).toBe(true);
    expect(rows.some((r) => r.acked === 'false')).toBe(true);
    // The history's stoppage, days ago (the live simulator may have stopped a machine today too).
    const stopped = (await demo.hub.alerts.listAlarms({ state: 'history', limit: 5000 })).find((a) => a.type === 'machine_stopped' && a.activeSince < local.startOfDay(today));
    expect(stopped).toBeDefined();
    await page.locator(`[data-alarm-id="${stopped!.id}"]`).waitFor();
    await page.screenshot({ path: join(resultsDir, 'e2e-demo-history-alarms.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
