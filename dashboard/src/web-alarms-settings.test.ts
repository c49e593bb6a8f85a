/**
 * The overview tiles, the alarms page and the settings page in Debian's Chromium, against the
 * real app on a loopback server with the in-memory data source (the hub side): sparklines
 * from live readings, today's utilization, alarm badges, acknowledge, filters, live rows,
 * settings saved / refused / conflicting, the kiosk layout. Screenshots go to test-results/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applySettings, parseConfig, type RuntimeSettings } from '@mieruka/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmItem, AlarmSeverity, UsageRow } from './data-source.js';
import { localTimeFor } from '@mieruka/protocol';
import { BENCH_JPEG } from './test-support/fixtures.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { stoppedClock, testSiteZone } from '../../test/helpers/test-clock.js';
import { ADMIN, startHarness, type Harness } from './test-support/harness.js';
import { buildWebApp, type WebBuild } from './test-support/web-build.js';

const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));
const KIOSK_TOKEN = 'kiosk-token-for-the-wall-display-0123';
const MILL = '[data-testid="tile-factory-protomat-s63"]';
const BENCH = '[data-testid="tile-factory-bench-1"]';

let web: WebBuild | null = null;
let outDir = '';
let harness: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

function alarm(id: string, severity: AlarmSeverity, node: string, patch: Partial<AlarmItem> = {}): AlarmItem {
  const since = harness.now() - 20 * 60_000;
  return {
    id,
    site: 'factory',
    node,
    type: 'machine_stopped',
    severity,
    message: { ja: `${node} の異常 (${id})`, en: `Trouble at ${node} (${id})` },
    activeSince: since,
    active: true,
    acknowledged: false,
    occurrences: 1,
    lastRaisedAt: since,
    escalated: false,
    ...patch,
  };
}

/** Waits until the first element matching `selector` has attribute `name` = `expected` (the page updates it live). */
async function waitAttr(selector: string, name: string, expected: string): Promise<void> {
  await page.waitForFunction(([sel, attr, want]) => document.querySelector(sel!)?.getAttribute(attr!) === want, [selector, name, expected], { timeout: 10_000 });
}

/**
 * The whole page in one shot with a viewport as tall as the page: a fullPage capture would draw
 * the sticky save bar where the viewport's bottom was, over the middle of the form.
 */
async function fullScreenshot(name: string): Promise<void> {
  const size = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height });
  await page.screenshot({ path: join(resultsDir, name) });
  await page.setViewportSize(size);
}

async function rowIds(): Promise<string[]> {
  return page.locator('[data-testid="alarm-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alarm-id') ?? ''));
}

beforeAll(async () => {
  web = await buildWebApp();
  outDir = web.dir;
  await mkdir(resultsDir, { recursive: true });

  harness = await startHarness({ staticDir: outDir, kiosk: { enabled: true, token: KIOSK_TOKEN }, now: stoppedClock() });
  const h = harness;
  h.data.setReportSettings({ timeZone: testSiteZone(), shifts: [] });
  h.data.putThumbnail('factory', 'bench-1', 'shot-1', BENCH_JPEG);
  // Today (in the hub's zone): 1 h running, 30 min idle, 10 min off, 20 min unknown.
  const clock = localTimeFor(h.data.reportSettings().timeZone);
  const today = clock.startOfDay(clock.dateOf(harness.now()));
  const seconds = { running: 3600, idle: 1800, off: 600, unknown: 1200 };
  const totalS = seconds.running + seconds.idle + seconds.off + seconds.unknown;
  const row: UsageRow = {
    start: today,
    end: harness.now(),
    label: clock.dateOf(today),
    shift: null,
    seconds,
    totalS,
    knownS: totalS - seconds.unknown,
    utilization: seconds.running / (totalS - seconds.unknown),
    utilizationOfTotal: seconds.running / totalS,
  };
  h.data.setMachine('factory', 'protomat-s63', { name: 'ProtoMat S63', usage: { day: [row] } });
  h.data.addBenchScore('factory', 'bench-1', { ts: harness.now() - 30_000, seq: 1, score: 42, coveredRatio: 0.42, slot: '09:00', imageId: 'shot-1', imageAvailable: true }, 'Assembly bench');
  h.data.putAlarm(alarm('a-warn', 'warning', 'protomat-s63'));
  h.data.putAlarm(alarm('a-major', 'major', 'protomat-s63', { occurrences: 3 }));
  h.data.putAlarm(alarm('a-bench', 'info', 'bench-1', { type: 'clutter_high' }));
  h.data.putAlarm(alarm('a-old', 'minor', 'protomat-s63', { active: false, clearedAt: harness.now() - 60_000, activeSince: harness.now() - 3 * 3_600_000 }), 'cleared');
  // The snapshot's reading is 8 min old, so the live readings below (the last 7 min) extend it.
  h.data.updateNode('factory', 'protomat-s63', { current: { irms: [3.21], ts: harness.now() - 8 * 60_000, seq: 41 } });
  // More machines for a realistic overview: one idle, one whose agent went offline.
  h.data.updateNode('factory', 'cnc-2', {
    online: true,
    agent: 'firmware-bridge',
    version: '0.1.0',
    lastSeen: harness.now(),
    state: { state: 'idle', since: harness.now() - 12 * 60_000, ts: harness.now() },
    current: { irms: [0.84], ts: harness.now(), seq: 7 },
  });
  h.data.setMachine('factory', 'cnc-2', { usage: { day: [{ ...row, seconds: { running: 900, idle: 4500, off: 600, unknown: 0 }, totalS: 6000, knownS: 6000, utilization: 0.15, utilizationOfTotal: 0.15 }] } });
  h.data.updateNode('factory', 'lathe-3', { online: false, agent: 'firmware-bridge', version: '0.1.0', lastSeen: harness.now() - 3_600_000, state: null, current: null });
  h.data.setSettingsConfig(parseConfig({ overrides: { machines: { 'protomat-s63': { name: 'ProtoMat S63' } }, stations: { 'bench-1': {} } } }));

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1180, height: 820 }, locale: 'ja-JP' });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await web?.remove();
});

describe('overview, alarms and settings in Chromium', () => {
  it('overview tiles: sparkline from live readings, today’s utilization, alarm badges', async () => {
    const h = harness;
    await page.goto(h.url);
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.locator(MILL).waitFor();
    // Before logging in, /api/me answers 401 on purpose and Chromium logs it; nothing else may fail.
    expect(problems.every((p) => /status of 401/.test(p))).toBe(true);
    problems.length = 0;

    // Machines come first, then stations, each tile linking to its page.
    const order = await page.locator('[data-testid^="tile-"]').evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-testid')));
    expect(order.indexOf('tile-factory-protomat-s63')).toBeLessThan(order.indexOf('tile-factory-bench-1'));
    expect(await page.locator(`${MILL} a`).first().getAttribute('href')).toBe('/machines/factory/protomat-s63');
    expect(await page.locator(`${BENCH} a`).first().getAttribute('href')).toBe('/benches/factory/bench-1');

    // Today's utilization = running / known time of today's row.
    const usage = await h.data.machineUsage('factory', 'protomat-s63', { from: 0, to: harness.now() + 86_400_000 }, 'day');
    const ratio = usage!.total.utilization!;
    await waitAttr(`${MILL} [data-testid="node-utilization"]`, 'data-status', 'ok');
    expect(await page.locator(`${MILL} [data-testid="node-utilization"]`).textContent()).toContain(`${Math.round(ratio * 100)}%`);

    // Names from the config replace ids.
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').includes('ProtoMat S63'), `${MILL} .tile-node`, { timeout: 10_000 });

    // Alarm badge: two active alarms, the worse one is major; the nav counts all unacknowledged.
    await waitAttr(`${MILL} [data-testid="node-alarms"]`, 'data-count', '2');
    expect(await page.locator(`${MILL} [data-testid="node-alarms"]`).getAttribute('data-severity')).toBe('major');
    const active = await h.data.listAlarms({ state: 'active', limit: 100 });
    expect(await page.getByTestId('nav-alarms-count').textContent()).toBe(String(active.filter((a) => !a.acknowledged).length));

    // Live readings grow the sparkline (the snapshot gave one point).
    const before = Number(await page.locator(`${MILL} [data-testid="node-sparkline"]`).getAttribute('data-points'));
    const amps = [3.4, 3.9, 3.6, 0.4, 0.2, 0.2, 2.8, 3.5, 3.7, 3.6, 1.1, 0.3, 3.2, 3.3];
    const t0 = harness.now() - amps.length * 30_000;
    amps.forEach((a, i) => {
      const ts = t0 + i * 30_000;
      h.data.updateNode('factory', 'protomat-s63', { lastSeen: harness.now(), current: { irms: [a], ts, seq: 100 + i } });
    });
    await waitAttr(`${MILL} [data-testid="node-sparkline"]`, 'data-points', String(before + amps.length));
    expect(await page.locator(`${MILL} [data-testid="node-sparkline"] polyline`).getAttribute('points')).toMatch(/^([\d.]+,[\d.]+ ?)+$/);
    expect(await page.locator(`${MILL} [data-testid="node-current"]`).textContent()).toContain(`${amps.at(-1)!.toFixed(2)} A`);

    // A new critical alarm arrives over the feed: the badge follows without a reload.
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
    h.data.putAlarm(alarm('a-crit', 'critical', 'protomat-s63'));
    await waitAttr(`${MILL} [data-testid="node-alarms"]`, 'data-severity', 'critical');
    expect(await page.locator(`${MILL} [data-testid="node-alarms"]`).getAttribute('data-count')).toBe('3');
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');

    // The station: score, slot, thumbnail (the 160 px fixture served as the thumbnail).
    expect(await page.locator(`${BENCH} [data-testid="node-score"]`).textContent()).toContain('42');
    await page.waitForFunction(
      (sel) => {
        const img = document.querySelector<HTMLImageElement>(sel);
        return img !== null && img.complete && img.naturalWidth === 160;
      },
      `${BENCH} [data-testid="node-thumb"]`,
      { timeout: 10_000 },
    );
    await page.screenshot({ path: join(resultsDir, 'overview-ja.png'), fullPage: true });

    const tablet = await browser.newPage({ viewport: { width: 800, height: 1280 }, locale: 'ja-JP' });
    await tablet.context().addCookies(await context.cookies());
    await tablet.goto(h.url);
    await tablet.locator(`${MILL} [data-testid="node-utilization"][data-status="ok"]`).waitFor();
    await tablet.screenshot({ path: join(resultsDir, 'overview-tablet-ja.png'), fullPage: true });
    await tablet.close();
  });

  it('alarms page: active list, acknowledge, live rows, history filters', async () => {
    const h = harness;
    await page.getByTestId('nav-alarms').click();
    await page.getByTestId('alarms-page').waitFor();
    await page.locator('[data-testid="alarm-row"]').first().waitFor();

    const active = await h.data.listAlarms({ state: 'active', limit: 100 });
    expect((await rowIds()).sort()).toEqual(active.map((a) => a.id).sort());
    // Message in the current language.
    expect(await page.locator('[data-alarm-id="a-major"]').textContent()).toContain(active.find((a) => a.id === 'a-major')!.message.ja);

    // Acknowledge: the row says by whom, and the hub recorded the logged-in user.
    await page.locator('[data-alarm-id="a-major"] [data-testid="ack-button"]').click();
    await page.locator('[data-alarm-id="a-major"][data-acknowledged="true"]').waitFor();
    expect(await page.locator('[data-alarm-id="a-major"] [data-testid="alarm-ack-state"]').textContent()).toContain(ADMIN.username);
    expect(await page.locator('[data-alarm-id="a-major"] [data-testid="ack-button"]').count()).toBe(0);
    const stored = (await h.data.listAlarms({ state: 'history', limit: 100 })).find((a) => a.id === 'a-major')!;
    expect(stored.acknowledged).toBe(true);
    expect(stored.acknowledgedBy).toBe(ADMIN.username);
    const unacked = (await h.data.listAlarms({ state: 'active', limit: 100 })).filter((a) => !a.acknowledged).length;
    await page.waitForFunction((n) => document.querySelector('[data-testid="nav-alarms-count"]')?.textContent === String(n), unacked, { timeout: 10_000 });

    // A live alarm adds a row without a reload.
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
    h.data.putAlarm(alarm('a-live', 'minor', 'bench-1', { type: 'sensor_offline' }));
    await page.locator('[data-alarm-id="a-live"]').waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    await page.screenshot({ path: join(resultsDir, 'alarms-ja.png'), fullPage: true });

    // Node filter on the active tab, kept in the URL.
    await page.getByTestId('alarm-filter-node').selectOption('factory/bench-1');
    await page.waitForFunction(() => location.search.includes('node=factory%2Fbench-1'), undefined, { timeout: 10_000 });
    const benchActive = (await h.data.listAlarms({ state: 'active', node: 'bench-1', limit: 100 })).map((a) => a.id).sort();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="alarm-row"]').length === n, benchActive.length, { timeout: 10_000 });
    expect((await rowIds()).sort()).toEqual(benchActive);
    await page.getByTestId('alarm-filter-node').selectOption('');

    // History, filtered by severity: what the hub answers for that filter, cleared ones included.
    await page.getByTestId('alarms-tab-history').click();
    await page.waitForFunction(() => location.search.includes('tab=history'), undefined, { timeout: 10_000 });
    const all = await h.data.listAlarms({ state: 'history', limit: 500 });
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="alarm-row"]').length === n, all.length, { timeout: 10_000 });
    await page.locator('[data-testid="alarm-filter-severity"] input[value="minor"]').check();
    await page.waitForFunction(() => location.search.includes('severity=minor'), undefined, { timeout: 10_000 });
    const minor = (await h.data.listAlarms({ state: 'history', severity: ['minor'], limit: 500 })).map((a) => a.id);
    expect(minor.length).toBeGreaterThan(1);
    expect(minor.length).toBeLessThan(all.length);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="alarm-row"]').length === n, minor.length, { timeout: 10_000 });
    expect(await rowIds()).toEqual(minor);
    expect(await page.locator('[data-alarm-id="a-old"]').getAttribute('data-active')).toBe('false');

    // The URL alone restores the filtered view.
    await page.reload();
    await page.getByTestId('alarms-page').waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="alarm-row"]').length === n, minor.length, { timeout: 10_000 });
    expect(await page.locator('[data-testid="alarm-filter-severity"] input[value="minor"]').isChecked()).toBe(true);
  });

  it('settings: save and apply, server-side refusal per field, conflict with another admin', async () => {
    const h = harness;
    await page.goto(`${h.url}/settings`);
    await page.getByTestId('settings-page').waitFor();
    const runningAbove = page.getByTestId('machine-threshold-protomat-s63-runningAboveA');
    await runningAbove.waitFor();
    const initial = await h.data.getSettings();
    expect(await runningAbove.inputValue()).toBe(String(initial.settings.machines['protomat-s63']!.runningAboveA));
    expect(await page.getByTestId('settings-save').isDisabled()).toBe(true);

    // Edit a threshold and add a recipient with a language, then save.
    await runningAbove.fill('2.5');
    const before = initial.settings.recipients.default.length;
    await page.getByTestId('recipient-add').click();
    await page.getByTestId(`recipient-default-${before}-address`).fill('lead@example.com');
    await page.getByTestId(`recipient-default-${before}-language`).selectOption('en');
    // The sensor fault rule (on by default) is listed with its Japanese name; switch it off.
    expect(initial.settings.rules.sensorFault?.enabled).toBe(true);
    expect(await page.getByTestId('rule-sensorFault').locator('th').textContent()).toBe('電流センサーの異常 (クランプ外れ・断線)');
    await page.getByTestId('rule-sensorFault-enabled').uncheck();
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    const saved = await h.data.getSettings();
    expect(saved.version).toBe(initial.version + 1);
    expect(saved.updatedBy).toBe(ADMIN.username);
    expect(saved.settings.machines['protomat-s63']!.runningAboveA).toBe(2.5);
    expect(saved.settings.recipients.default).toContainEqual({ address: 'lead@example.com', language: 'en' });
    expect(saved.settings.rules.sensorFault).toEqual({ enabled: false, severity: initial.settings.rules.sensorFault?.severity });
    expect(await page.getByTestId('settings-last-saved').textContent()).toContain(ADMIN.username);
    await fullScreenshot('settings-ja.png');

    expect(problems).toEqual([]);
    // runningAboveA below offBelowA: the server refuses; its message sits at that field; nothing saved.
    const offBelow = saved.settings.machines['protomat-s63']!.offBelowA;
    const bad = offBelow / 2;
    await runningAbove.fill(String(bad));
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-error').waitFor();
    const draft: RuntimeSettings = structuredClone(saved.settings);
    draft.machines['protomat-s63']!.runningAboveA = bad;
    const check = applySettings(parseConfig({ overrides: { machines: { 'protomat-s63': { name: 'ProtoMat S63' } }, stations: { 'bench-1': {} } } }), draft);
    expect(check.ok).toBe(false);
    const expected = !check.ok && check.issues.find((i) => i.path.join('.') === 'machines.protomat-s63.runningAboveA');
    expect(expected).toBeTruthy();
    const cell = page.locator('[data-testid="machine-threshold-protomat-s63"] td', { has: runningAbove });
    await cell.locator('[data-testid="field-error"]').waitFor();
    // The page is in Japanese: the server answers in it (zod's ja text where zod has one).
    const issue = expected as { message: string; messageJa?: string };
    expect(await cell.locator('[data-testid="field-error"]').textContent()).toBe(issue.messageJa ?? issue.message);
    expect(await runningAbove.inputValue()).toBe(String(bad)); // the user's input is kept
    const after = await h.data.getSettings();
    expect(after.version).toBe(saved.version);
    expect(after.settings.machines['protomat-s63']!.runningAboveA).toBe(2.5);
    await fullScreenshot('settings-invalid-ja.png');

    // Someone else saves meanwhile: ours is refused with 409; our edit stays until we choose.
    await runningAbove.fill('3');
    const theirs: RuntimeSettings = structuredClone(after.settings);
    theirs.recipients.escalateAfterMin = after.settings.recipients.escalateAfterMin + 15;
    const other = await h.data.updateSettings(theirs, after.version, 'other-admin');
    expect(other.outcome).toBe('saved');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-conflict').waitFor();
    expect(await page.getByTestId('settings-conflict').textContent()).toContain('other-admin');
    expect(await runningAbove.inputValue()).toBe('3');
    expect((await h.data.getSettings()).updatedBy).toBe('other-admin');
    // Chromium logs the refused PUTs (400, then 409) as console errors; those were expected.
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => /status of (400|409)/.test(p))).toBe(true);
    problems.length = 0;
    await page.getByTestId('settings-conflict-reload').click();
    await page.getByTestId('settings-conflict').waitFor({ state: 'detached' });
    expect(await runningAbove.inputValue()).toBe('2.5');
    expect(await page.getByTestId('recipients-escalateAfterMin').inputValue()).toBe(String(theirs.recipients.escalateAfterMin));
    expect(await page.getByTestId('settings-save').isDisabled()).toBe(true);

    // English labels.
    await page.getByTestId('lang-switch').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en', undefined, { timeout: 10_000 });
    expect(await page.getByTestId('settings-save').textContent()).toBe('Save and apply');
    await fullScreenshot('settings-en.png');
    await page.getByTestId('lang-switch').click();
  });

  it('kiosk wall display: dense overview, no links, no acknowledge', async () => {
    const h = harness;
    const wall = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ja-JP' });
    const kioskPage = await wall.newPage();
    kioskPage.on('pageerror', (err) => problems.push(err.message));
    await kioskPage.goto(`${h.url}/kiosk/${KIOSK_TOKEN}`);
    await kioskPage.locator(MILL).waitFor();
    expect(await kioskPage.locator('.overview-kiosk').count()).toBe(1);
    expect(await kioskPage.locator(`${MILL} a`).count()).toBe(0);
    expect(await kioskPage.getByTestId('nav-alarms').count()).toBe(0);
    await kioskPage.locator(`${MILL} [data-testid="node-utilization"][data-status="ok"]`).waitFor();
    await kioskPage.screenshot({ path: join(resultsDir, 'overview-kiosk.png'), fullPage: true });

    // The alarms page by URL: rows, but no acknowledge button for a read-only display.
    await kioskPage.evaluate(() => {
      history.pushState(null, '', '/alarms');
      dispatchEvent(new PopStateEvent('popstate'));
    });
    await kioskPage.locator('[data-testid="alarm-row"]').first().waitFor();
    expect(await kioskPage.getByTestId('ack-button').count()).toBe(0);
    await wall.close();

    expect(problems).toEqual([]);
  });
});
