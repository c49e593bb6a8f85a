/**
 * The browser app, built fresh by Vite into a temp dir and driven by Debian's Chromium:
 * bundle budget, login, live tile updates without reload, reconnect banner, language switch.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_JPEG } from './test-support/fixtures.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { ADMIN, startHarness, type Harness } from './test-support/harness.js';
import { buildWebApp, type WebBuild } from './test-support/web-build.js';

/** Keep in step with dashboard/README.md: the first page load (entry JS + its static imports + CSS), gzip. */
const FIRST_LOAD_BUDGET_GZIP_BYTES = 45 * 1024;

const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));

let web: WebBuild | null = null;
let outDir = '';
let harness: Harness | null = null;
let browser: Browser | null = null;

beforeAll(async () => {
  web = await buildWebApp();
  outDir = web.dir;
  await mkdir(resultsDir, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await web?.remove();
});

/**
 * What the browser fetches before the first page shows: the entry script, the chunks Vite
 * preloads for it (its static imports) and the stylesheets index.html links. Lazy pages and
 * uPlot are not in it.
 */
async function firstLoad(): Promise<{ js: string[]; css: string[] }> {
  const html = await readFile(join(outDir, 'index.html'), 'utf8');
  const refs = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1]!);
  const js = [...refs(/<script type="module" crossorigin src="\/(assets\/[\w.-]+\.js)">/g), ...refs(/<link rel="modulepreload" crossorigin href="\/(assets\/[\w.-]+\.js)">/g)];
  const css = refs(/<link rel="stylesheet" crossorigin href="\/(assets\/[\w.-]+\.css)">/g);
  return { js, css };
}

async function gzipSize(files: string[]): Promise<number> {
  let total = 0;
  for (const name of files) total += gzipSync(await readFile(join(outDir, name)), { level: 9 }).length;
  return total;
}

describe('web app build', () => {
  it('keeps the first page load inside the bundle budget; other pages and uPlot load later', async () => {
    const { js, css } = await firstLoad();
    expect(js.length).toBeGreaterThan(0);
    expect(css.length).toBeGreaterThan(0);
    const jsBytes = await gzipSize(js);
    const cssBytes = await gzipSize(css);
    expect(jsBytes).toBeGreaterThan(1000); // something was built
    expect(jsBytes + cssBytes).toBeLessThan(FIRST_LOAD_BUDGET_GZIP_BYTES);
    // Split points: every lazy page is its own chunk, none of it in the first load.
    const all = await readdir(join(outDir, 'assets'));
    const firstLoadText = (await Promise.all(js.map((f) => readFile(join(outDir, f), 'utf8')))).join('\n');
    for (const pageChunk of ['machine-page', 'bench-page', 'alarms-page', 'settings-page']) {
      expect(all.some((f) => f.startsWith(pageChunk) && f.endsWith('.js'))).toBe(true);
      expect(js.some((f) => f.includes(pageChunk))).toBe(false);
    }
    // uPlot's root class name: the chart library must not ride along in the first load.
    expect(firstLoadText).not.toMatch(/u-legend|uplot/);
    console.info(`first load: JS ${jsBytes} B + CSS ${cssBytes} B gzip (budget ${FIRST_LOAD_BUDGET_GZIP_BYTES} B)`);
  });
});

describe('dashboard in Chromium', () => {
  async function text(page: Page, selector: string): Promise<string> {
    return (await page.locator(selector).textContent()) ?? '';
  }

  async function waitText(page: Page, selector: string, expected: string): Promise<void> {
    await page.waitForFunction(
      ([sel, want]) => (document.querySelector(sel!)?.textContent ?? '').includes(want!),
      [selector, expected],
      { timeout: 10_000 },
    );
  }

  it('logs in, updates tiles live, survives a dropped feed and switches language', async () => {
    harness = await startHarness({ staticDir: outDir });
    const h = harness;
    h.data.putImage('factory', 'bench-1', 'shot-1', BENCH_JPEG);
    // The overview tile shows the thumbnail (here the same small fixture).
    h.data.putThumbnail('factory', 'bench-1', 'shot-1', BENCH_JPEG);
    // A node that reports a state is a machine of the reports too (today's utilization on its tile).
    h.data.setMachine('factory', 'protomat-s63', { name: null });
    browser = await launchChromium();
    // A landscape tablet.
    const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, locale: 'ja-JP' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));

    await page.goto(h.url);
    await page.getByTestId('login-form').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');

    // Wrong password first: an error, still on the login page.
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', 'wrong');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    expect(await page.getByTestId('login-error').textContent()).toContain('パスワード');
    await page.screenshot({ path: join(resultsDir, 'dashboard-login-ja.png') });
    problems.length = 0; // the 401 of that attempt is logged by Chromium on purpose

    await page.fill('input[name=password]', ADMIN.password);
    await page.getByTestId('login-submit').click();

    const mill = '[data-testid="tile-factory-protomat-s63"]';
    const bench = '[data-testid="tile-factory-bench-1"]';
    await page.locator(mill).waitFor();
    expect(await text(page, `${mill} [data-testid="node-state"]`)).toContain('稼働中');
    expect(await text(page, `${mill} [data-testid="node-current"]`)).toContain('3.21 A');
    expect(await text(page, `${mill} [data-testid="node-online"]`)).toBe('オンライン');
    expect(await text(page, `${bench} [data-testid="node-score"]`)).toContain('42');
    await page.waitForFunction(
      (sel) => {
        const img = document.querySelector<HTMLImageElement>(sel);
        return img !== null && img.complete && img.naturalWidth === 160;
      },
      `${bench} [data-testid="node-thumb"]`,
      { timeout: 10_000 },
    );
    await page.waitForFunction(() => !document.querySelector('[data-testid="feed-banner"]'), undefined, { timeout: 10_000 });

    // Live: the hub pushes, the page changes without a reload.
    await page.evaluate(() => {
      (window as unknown as { marker: string }).marker = 'same page';
    });
    const t = h.now();
    h.data.updateNode('factory', 'protomat-s63', {
      lastSeen: t,
      state: { state: 'idle', since: t - 5 * 60_000, ts: t },
      current: { irms: [0.42, 1.5], ts: t, seq: 99 },
    });
    h.data.updateNode('factory', 'bench-1', { clutter: { score: 77, coveredRatio: 0.77, slot: '12:00', ts: t, imageId: 'shot-1' }, lastSeen: t });
    h.data.updateNode('factory', 'lathe-2', { online: false, lastSeen: t - 3_600_000, agent: 'firmware-bridge', version: '0.1.0' });
    await waitText(page, `${mill} [data-testid="node-current"]`, '0.42 A');
    await waitText(page, `${mill} [data-testid="node-state"]`, '待機');
    await waitText(page, `${bench} [data-testid="node-score"]`, '77');
    await page.locator('[data-testid="tile-factory-lathe-2"]').waitFor();
    expect(await text(page, '[data-testid="tile-factory-lathe-2"] [data-testid="node-online"]')).toBe('オフライン');
    expect(await text(page, `${mill} [data-testid="node-current"]`)).toContain('1.50 A');
    expect(await page.locator(`${mill} [data-testid="node-state"]`).getAttribute('data-state')).toBe('idle');
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    await page.screenshot({ path: join(resultsDir, 'dashboard-overview-ja.png'), fullPage: true });

    // The feed drops: a visible banner, then a reconnect by itself, and updates flow again.
    const sockets = h.openSockets();
    expect(sockets).toBeGreaterThan(0);
    h.destroyAllSockets();
    await page.locator('[data-testid="feed-banner"][data-state="down"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="feed-banner"]')).toContain('再接続中');
    await page.screenshot({ path: join(resultsDir, 'dashboard-reconnecting-ja.png') });
    await page.locator('[data-testid="feed-banner"]').waitFor({ state: 'detached', timeout: 15_000 });
    h.data.updateNode('factory', 'protomat-s63', { state: { state: 'off', since: h.now(), ts: h.now() }, current: { irms: [0, 0], ts: h.now(), seq: 100 } });
    await waitText(page, `${mill} [data-testid="node-state"]`, '停止');

    // English, persisted across a reload.
    await page.getByTestId('lang-switch').click();
    await waitText(page, `${mill} [data-testid="node-state"]`, 'Off');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await text(page, 'h1')).toBe('Mieruka dashboard');
    await page.reload();
    await page.locator(mill).waitFor();
    await waitText(page, `${bench} [data-testid="node-motion"]`, 'Someone there');
    expect(await text(page, '[data-testid="tile-factory-lathe-2"] [data-testid="node-online"]')).toBe('Offline');
    await page.screenshot({ path: join(resultsDir, 'dashboard-overview-en.png'), fullPage: true });

    // Logging out brings back the login page.
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    // The page sent the session's CSRF token with the logout, so the server really ended the session.
    const before = problems.length;
    expect(await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(401);
    // Chromium logs that 401 as a console error; it is the expected answer, nothing else is dropped.
    problems.splice(before).forEach((p) => expect(p).toMatch(/401/));
    // The login page asks /api/me once more and gets 401 on purpose (Chromium logs it).
    expect(problems.every((p) => /status of 401/.test(p))).toBe(true);
    problems.length = 0;

    // A narrow phone-sized view still renders the tiles in one column.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const small = await phone.newPage();
    await small.goto(h.url);
    await small.fill('input[name=username]', ADMIN.username);
    await small.fill('input[name=password]', ADMIN.password);
    await small.getByTestId('login-submit').click();
    await small.locator(mill).waitFor();
    await small.screenshot({ path: join(resultsDir, 'dashboard-phone-ja.png'), fullPage: true });
    await phone.close();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('opens a read-only kiosk session from the wall display URL, without a password', async () => {
    const token = 'wall-display-token-0123456789abcdef';
    const h = await startHarness({ staticDir: outDir, kiosk: { enabled: true, token } });
    h.data.putImage('factory', 'bench-1', 'shot-1', BENCH_JPEG);
    h.data.putThumbnail('factory', 'bench-1', 'shot-1', BENCH_JPEG);
    try {
      browser ??= await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ja-JP' });
      const page = await context.newPage();
      await page.goto(`${h.url}/kiosk/${token}`);
      await page.locator('[data-testid="tile-factory-protomat-s63"]').waitFor({ timeout: 15_000 });
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('[data-testid="tile-factory-bench-1"] [data-testid="node-thumb"]');
        return img !== null && img.complete && img.naturalWidth > 0;
      }, undefined, { timeout: 10_000 });
      const me = await page.evaluate(() => fetch('/api/me').then((r) => r.json()));
      expect(me).toMatchObject({ user: { username: 'kiosk', role: 'viewer' }, kiosk: true });
      // The page itself cannot acknowledge, even with its own CSRF token.
      const ack = await page.evaluate((csrf) => fetch('/api/alarms/x-1/ack', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: '{}' }).then((r) => r.status), (me as { csrfToken: string }).csrfToken);
      expect(ack).toBe(403);
      await page.screenshot({ path: join(resultsDir, 'dashboard-kiosk-ja.png') });

      // A wrong token shows a refusal instead of the login form.
      const other = await browser.newContext();
      const refused = await other.newPage();
      await refused.goto(`${h.url}/kiosk/${token.slice(0, -1)}X`);
      await refused.locator('p.error[role=alert]').waitFor();
      expect(await refused.getByTestId('login-form').count()).toBe(0);
      await other.close();
      await context.close();
    } finally {
      await h.close();
    }
  });
});
