/**
 * The supervisor dashboard on the whole real system: the hub (aedes, SQLite, alert engine,
 * express, ws), an MQTT client as the edge, and Debian's Chromium through playwright-core.
 * Log in; a tile changes when a message is published on the broker; the machine page shows
 * its chart; an alarm is acknowledged; a CSV is downloaded; the language switches; a viewer
 * cannot change settings. Screenshots go to test/test-results/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { encodePayload, parseConfig, topicFor } from '@mieruka/protocol';
import { launchChromium } from '../helpers/chromium.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const ADMIN = { username: 'admin', password: 'admin-password-1' };
const VIEWER = { username: 'foreman', password: 'viewer-password-1' };
const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));

describe('dashboard on the real hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient;
  let browser: Browser;
  let seq = 0;

  const publish = (node: string, kind: 'status' | 'state' | 'current', payload: unknown, retain = false) =>
    edge.publishAsync(topicFor('factory', node, kind), encodePayload(kind, payload as never), { qos: 1, retain });
  const current = (amps: number) => publish('mill-1', 'current', { ts: Date.now(), seq: ++seq, irms: [amps] });

  beforeAll(async () => {
    dir = await makeTempDir();
    const config = parseConfig({
      text: JSON.stringify({
        site: 'factory',
        hub: { dataDir: join(dir.path, 'data'), mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 20 } },
        dashboard: { adminUser: ADMIN.username, adminPassword: ADMIN.password },
        machines: { 'mill-1': { name: 'ProtoMat S63' } },
      }),
    });
    hub = createHub({ config, logger: pino({ level: 'silent' }) });
    await hub.start();
    await hub.users.upsert(VIEWER.username, VIEWER.password, 'viewer');
    edge = mqtt.connect(hub.mqttUrl, { clientId: 'edge-mill-1', reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      edge.once('connect', () => resolve());
      edge.once('error', reject);
    });
    const now = Date.now();
    await publish('mill-1', 'status', { online: true, ts: now, agent: 'bridge', version: 'e2e' }, true);
    await publish('mill-1', 'state', { ts: now - 60_000, state: 'running', since: now - 60_000, irms: [3.21] }, true);
    for (const amps of [3.1, 3.3, 3.2, 3.21]) await current(amps);
    browser = await launchChromium();
    await mkdir(resultsDir, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await edge?.endAsync(true).catch(() => undefined);
    await hub?.stop();
    await dir?.remove();
  });

  async function loggedIn(user: { username: string; password: string }, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(hub.httpUrl);
    await page.getByTestId('login-form').waitFor();
    await page.fill('input[name=username]', user.username);
    await page.fill('input[name=password]', user.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
    return { page, problems };
  }

  const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent()) ?? '';
  const waitText = (page: Page, selector: string, expected: string) =>
    page.waitForFunction(([sel, want]) => (document.querySelector(sel as string)?.textContent ?? '').includes(want as string), [selector, expected], { timeout: 10_000 });

  it('a supervisor logs in, watches a tile change, reads the machine page, acknowledges an alarm, downloads a CSV and switches language', async () => {
    const { page, problems } = await loggedIn(ADMIN);
    const tile = '[data-testid="tile-factory-mill-1"]';
    await page.locator(tile).waitFor();
    await waitText(page, `${tile} [data-testid="node-current"]`, '3.21 A');
    expect(await page.locator(`${tile} [data-testid="node-state"]`).getAttribute('data-state')).toBe('running');

    // A message published on the broker changes the tile without a reload.
    await current(4.56);
    await waitText(page, `${tile} [data-testid="node-current"]`, '4.56 A');
    await page.screenshot({ path: join(resultsDir, 'e2e-overview-ja.png'), fullPage: true });

    // The machine page: its live current chart has the stored readings and grows with new ones.
    await page.locator(`${tile} a`).first().click();
    await page.getByTestId('machine-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/machines/factory/mill-1');
    const chart = page.getByTestId('current-chart');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="current-chart"]')?.getAttribute('data-points') ?? 0) >= 5, undefined, { timeout: 10_000 });
    // uPlot draws its canvas on the frame after the data arrives: wait for it, then count.
    await chart.locator('canvas').first().waitFor({ timeout: 10_000 });
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    const before = Number(await chart.getAttribute('data-points'));
    await current(5.02);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="current-chart"]')?.getAttribute('data-points') ?? 0) > n, before, { timeout: 10_000 });
    await page.getByTestId('state-timeline').waitFor();
    await page.screenshot({ path: join(resultsDir, 'e2e-machine-ja.png'), fullPage: true });

    // CSV export: a real download, UTF-8 with BOM, Japanese header.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-timeline').click()]);
    const csv = await readFile((await download.path()) ?? '');
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe('サイト,機械,機械名,状態,開始,終了,時間(秒)');
    expect(lines.some((l) => l.startsWith('factory,mill-1,ProtoMat S63,稼働中,'))).toBe(true);

    // Running straight to off raises "machine stopped"; the supervisor acknowledges it.
    const off = Date.now();
    await publish('mill-1', 'state', { ts: off, state: 'off', since: off, irms: [0.01] }, true);
    await page.getByTestId('nav-alarms').click();
    await page.getByTestId('alarms-page').waitFor();
    const row = page.locator('[data-testid="alarm-row"]').first();
    await row.waitFor({ timeout: 10_000 });
    const alarmId = await row.getAttribute('data-alarm-id');
    expect(alarmId).toBeTruthy();
    await row.getByTestId('ack-button').click();
    await waitFor(async () => (await hub.alerts.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === alarmId && a.acknowledged), 'the acknowledgement in the store');
    const stored = (await hub.alerts.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === alarmId);
    expect(stored?.acknowledgedBy).toBe(ADMIN.username);
    await page.waitForFunction((id) => !document.querySelector(`[data-alarm-id="${id}"] [data-testid="ack-button"]`), alarmId, { timeout: 10_000 });
    await page.screenshot({ path: join(resultsDir, 'e2e-alarms-ja.png'), fullPage: true });
    // The link in the alert mail (/alarms?focus=<id>) opens the page with that alarm marked.
    await page.goto(`${hub.httpUrl}/alarms?focus=${alarmId}`);
    await page.locator(`[data-alarm-id="${alarmId}"][aria-current="true"]`).waitFor();
    expect(await page.locator('[data-testid="alarm-row"][aria-current="true"]').count()).toBe(1);

    // Language switch: the UI and the next CSV speak English.
    await page.getByTestId('lang-switch').click();
    await waitText(page, '[data-testid="nav-alarms"]', 'Alarms');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByTestId('nav-overview').click();
    await waitText(page, `${tile} [data-testid="node-state"]`, 'Off');
    await page.locator(`${tile} a`).first().click();
    await page.getByTestId('machine-page').waitFor();
    const [english] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-timeline').click()]);
    const header = (await readFile((await english.path()) ?? '')).toString('utf8').slice(1).split('\r\n')[0];
    expect(header).toBe('site,machine,machine name,state,start,end,duration (s)');
    await page.screenshot({ path: join(resultsDir, 'e2e-machine-en.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('a viewer sees the floor but has no settings and cannot change them', async () => {
    const { page } = await loggedIn(VIEWER);
    await page.locator('[data-testid="tile-factory-mill-1"]').waitFor();
    expect(await page.getByTestId('nav-settings').count()).toBe(0);
    expect(await text(page, '[data-testid="current-user"]')).toBe(VIEWER.username);
    // Even a hand-made request with the right CSRF token is refused for the role.
    const status = await page.evaluate(async () => {
      const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
      const res = await fetch('/api/settings', { method: 'PUT', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ version: 0, settings: {} }) });
      return res.status;
    });
    expect(status).toBe(403);
    expect(hub.settings.view().version).toBe(0);
    await page.context().close();
  });
});
