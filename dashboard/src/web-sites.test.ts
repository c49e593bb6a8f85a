/**
 * Several sites in the browser: the overview groups tiles under a heading per site and offers
 * a site filter kept in the URL (it survives a reload, so a hall's wall display can be
 * bookmarked to its site); the andon board takes the same filter; a viewer scoped to one site
 * sees neither the filter nor the other site. Debian's Chromium against the real app built by
 * Vite, fed by the in-memory data source.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../test/helpers/chromium.js';
import { BENCH_JPEG } from './test-support/fixtures.js';
import { ADMIN, startHarness, type Harness } from './test-support/harness.js';
import { buildWebApp, type WebBuild } from './test-support/web-build.js';
import { logIn, watchProblems } from './test-support/web-session.js';

const A = 'factory';
const B = 'hall-b';
const SCOPED = { username: 'hall-a-only', password: 'scoped password 1' };

let web: WebBuild | null = null;
let h: Harness | null = null;
let browser: Browser | null = null;

beforeAll(async () => {
  web = await buildWebApp();
  h = await startHarness({ staticDir: web.dir });
  const now = h.now();
  // Site A: the harness's sample machine and bench; site B: one of each.
  h.data.putImage(A, 'bench-1', 'shot-1', BENCH_JPEG);
  h.data.putThumbnail(A, 'bench-1', 'shot-1', BENCH_JPEG);
  h.data.updateNode(B, 'lathe-2', { online: true, agent: 'firmware-bridge', lastSeen: now - 2_000, state: { state: 'idle', since: now - 600_000, ts: now - 2_000 }, current: { irms: [0.4], ts: now - 2_000, seq: 3 } });
  h.data.updateNode(B, 'bench-9', { online: true, agent: 'clutter-station', lastSeen: now - 30_000, clutter: { score: 12, coveredRatio: 0.12, slot: '09:00', ts: now - 30_000, imageId: null } });
  h.data.setMachine(A, 'protomat-s63', { name: null, intervals: [{ state: 'running', start: now - 3_600_000, end: null }] });
  h.data.setMachine(B, 'lathe-2', { name: null, intervals: [{ state: 'idle', start: now - 600_000, end: null }] });
  h.users.add(SCOPED.username, SCOPED.password, 'viewer', [A]);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await web?.remove();
});

const tiles = (page: Page) => page.locator('[data-testid^="tile-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')).filter((id) => id !== null && /^tile-[a-z0-9-]+-[a-z0-9-]+$/.test(id)).sort());
const groups = (page: Page) => page.getByTestId('site-group').evaluateAll((els) => els.map((e) => e.getAttribute('data-site')));

describe('sites in the web app', () => {
  it('groups the overview by site; the site filter lives in the URL and survives a reload; the andon board takes it too', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h!.url, ADMIN);
    await page.getByTestId('site-filter').waitFor();
    await page.locator(`[data-testid="tile-${B}-lathe-2"]`).waitFor();
    expect(await groups(page)).toEqual([A, B]);
    expect(await page.locator(`#ov-site-${B}`).textContent()).toBe(`サイト: ${B}`);
    expect(await tiles(page)).toEqual([`tile-${A}-bench-1`, `tile-${A}-protomat-s63`, `tile-${B}-bench-9`, `tile-${B}-lathe-2`]);
    expect(await page.getByTestId('site-all').getAttribute('aria-current')).toBe('true');

    await page.getByTestId(`site-${B}`).click();
    await page.waitForURL((url) => url.searchParams.get('site') === B);
    await page.waitForFunction(() => document.querySelector('[data-testid="tile-factory-protomat-s63"]') === null);
    expect(await tiles(page)).toEqual([`tile-${B}-bench-9`, `tile-${B}-lathe-2`]);
    expect(await groups(page)).toEqual([]);
    expect(await page.getByTestId(`site-${B}`).getAttribute('aria-current')).toBe('true');

    // A reload (or a bookmark) keeps the choice.
    await page.reload();
    await page.locator(`[data-testid="tile-${B}-lathe-2"]`).waitFor();
    expect(await tiles(page)).toEqual([`tile-${B}-bench-9`, `tile-${B}-lathe-2`]);
    expect(await page.getByTestId(`site-${B}`).getAttribute('aria-current')).toBe('true');

    // "All" takes the parameter away again.
    await page.getByTestId('site-all').click();
    await page.waitForURL((url) => !url.searchParams.has('site'));
    await page.locator(`[data-testid="tile-${A}-protomat-s63"]`).waitFor();
    expect(await tiles(page)).toHaveLength(4);

    // The andon board: the same filter, in its URL.
    await page.goto(`${h!.url}/andon?site=${B}`);
    await page.locator(`[data-testid="andon-${B}-lathe-2"]`).waitFor();
    expect(await page.locator('[data-testid^="andon-"][data-state]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual([`andon-${B}-lathe-2`]);
    await page.getByTestId('site-all').click();
    await page.locator(`[data-testid="andon-${A}-protomat-s63"]`).waitFor();
    expect(await page.locator('[data-testid^="andon-"][data-state]').count()).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the headings and filter in English', async () => {
    const context = await browser!.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.addInitScript(() => localStorage.setItem('mieruka.lang', 'en'));
    await logIn(page, h!.url, ADMIN);
    await page.locator(`#ov-site-${B}`).waitFor();
    expect(await page.locator(`#ov-site-${B}`).textContent()).toBe(`Site: ${B}`);
    expect(await page.getByTestId('site-all').textContent()).toBe('All');
    await context.close();
  });

  it('a viewer scoped to one site sees only its tiles and no site filter', async () => {
    const context = await browser!.newContext({ locale: 'ja-JP' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, h!.url, SCOPED);
    await page.locator(`[data-testid="tile-${A}-protomat-s63"]`).waitFor();
    expect(await tiles(page)).toEqual([`tile-${A}-bench-1`, `tile-${A}-protomat-s63`]);
    expect(await page.getByTestId('site-filter').count()).toBe(0);
    expect(problems).toEqual([]);
    // Another site's machine, asked by URL: the API answers 404 as for an unknown machine.
    const status = await page.evaluate((site) => fetch(`/api/machines/${site}/lathe-2/timeline`).then((r) => r.status), B);
    expect(status).toBe(404);
    await context.close();
  });
});
