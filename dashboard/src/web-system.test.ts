/**
 * The System page, built fresh by Vite and driven by Debian's Chromium against the real app
 * fed by the in-memory data source: refusal counters with their explanations, the nodes asking
 * to join with Admit / Dismiss, a new request appearing without reload, the auto-join switch on
 * the settings page, English, and no page (nor nav link) for viewers.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@mieruka/protocol';
import { launchChromium } from '../../test/helpers/chromium.js';
import { ADMIN, startHarness, VIEWER, type Harness } from './test-support/harness.js';
import { logIn, watchProblems } from './test-support/web-session.js';
import { buildWebApp, type WebBuild } from './test-support/web-build.js';

const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));
const MIN = 60_000;

let web: WebBuild | null = null;
let harness: Harness | null = null;
let browser: Browser | null = null;
let context: BrowserContext | null = null;

beforeAll(async () => {
  web = await buildWebApp();
  await mkdir(resultsDir, { recursive: true });
  browser = await launchChromium();
  harness = await startHarness({ staticDir: web.dir });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await harness?.close();
  await web?.remove();
});



describe('system page in Chromium', () => {
  it('shows refusals with their meaning, admits and dismisses nodes asking to join, follows the auto-join switch', async () => {
    const h = harness!;
    const now = h.now();
    h.data.setSettingsConfig(parseConfig({ overrides: { hub: { ingest: { autoJoin: false } } } }));
    h.data.setStats({
      messagesInvalid: 5,
      invalidByReason: { 'not-admitted': 4, schema: 1 },
      mqttRefused: { connect: { 'bad-credentials': 3 }, publish: { acl: 2 }, subscribe: {}, limits: { 'connection-rate': 7 } },
      metricsRefused: { 'bad-token': 6 },
    });
    h.data.addJoinRequest('factory', 'new-a', now - 30 * MIN);
    h.data.addJoinRequest('factory', 'new-a', now - 2 * MIN);
    h.data.addJoinRequest('line-2', 'new-b', now - MIN);
    h.data.retention = {
      readingsDays: 90,
      historyDays: 0,
      at: '03:30',
      nextRunAt: now + 60 * MIN,
      lastRun: { startedAt: now - 23 * 60 * MIN, finishedAt: now - 23 * 60 * MIN + 4000, deleted: { readings: 86_400, motion: 0, states: 12 }, total: 86_412 },
    };

    context = await browser!.newContext({ viewport: { width: 1180, height: 820 }, locale: 'ja-JP' });
    const page = await context.newPage();
    // Only the APIs under test: the overview, shown first, has no fixture here.
    const problems = watchProblems(page, (_status, url) => /\/api\/(system|settings)/.test(url));
    await logIn(page, h.url, ADMIN);
    await page.getByTestId('nav-system').click();
    await page.getByTestId('system-page').waitFor();

    // Refusals per category, each reason with its one-line meaning (Japanese by default).
    const badCredentials = page.getByTestId('refusal-connect-bad-credentials');
    await badCredentials.waitFor();
    expect(await badCredentials.textContent()).toContain('3');
    expect(await badCredentials.textContent()).toContain('ユーザー名またはパスワードが違う');
    expect(await page.getByTestId('refusal-publish-acl').textContent()).toContain('2');
    expect(await page.getByTestId('refusal-limits-connection-rate').textContent()).toContain('7');
    expect(await page.getByTestId('refusal-invalid-not-admitted').textContent()).toContain('自動参加がオフ');
    expect(await page.getByTestId('refusal-metrics-bad-token').textContent()).toMatch(/6.*トークンが違う/);
    expect(await page.getByTestId('refusals-subscribe').textContent()).toContain('ありません');
    expect(await page.getByTestId('system-auto-join').textContent()).toContain('オフ');

    // The nightly pruning: the policy, and the last run with the rows per table.
    const retention = await page.getByTestId('system-retention').textContent();
    expect(retention).toContain('90 日');
    expect(retention).toContain('無期限');
    expect(retention).toContain('毎晩 03:30');
    expect(await page.getByTestId('system-retention-last').textContent()).toContain('86,412 行を削除 (readings 86,400, states 12)');

    // Nodes asking to join: newest first, with count; admit one, dismiss the other.
    const rows = page.locator('[data-testid^="join-request-"]');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual(['join-request-line-2-new-b', 'join-request-factory-new-a']);
    expect(await page.getByTestId('join-request-factory-new-a').textContent()).toContain('2');
    await page.screenshot({ path: `${resultsDir}system-ja.png`, fullPage: true });
    await page.getByTestId('admit-factory-new-a').click();
    await page.getByTestId('join-request-factory-new-a').waitFor({ state: 'detached' });
    expect([...h.data.admitted]).toEqual(['factory/new-a']);
    await page.getByTestId('dismiss-line-2-new-b').click();
    await page.getByTestId('system-join-empty').waitFor();

    // A node asking later shows up without a reload (the page re-reads on its own).
    h.data.addJoinRequest('factory', 'late');
    await page.getByTestId('join-request-factory-late').waitFor();

    // The switch lives on the settings page: turn auto-join on there, the System page follows.
    await page.getByTestId('system-auto-join-link').click();
    const autoJoin = page.getByTestId('settings-auto-join');
    await autoJoin.waitFor();
    expect(await autoJoin.isChecked()).toBe(false);
    await autoJoin.check();
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    expect((await h.data.systemInfo()).admission.autoJoin).toBe(true);
    await page.getByTestId('nav-system').click();
    await page.getByTestId('system-auto-join').waitFor();
    expect(await page.getByTestId('system-auto-join').textContent()).toContain('オン');

    // English.
    await page.getByTestId('lang-switch').click();
    expect(await page.getByTestId('refusal-connect-bad-credentials').textContent()).toContain('wrong user name or password');
    expect(await page.getByTestId('refusal-metrics-bad-token').textContent()).toContain('a wrong token');
    expect(await page.getByTestId('system-auto-join').textContent()).toContain('Auto-join: on');
    expect(await page.getByTestId('system-retention-last').textContent()).toContain('Last run:');
    await page.getByTestId('lang-switch').click();
    expect(problems).toEqual([]);
  });

  it('is not there for viewers', async () => {
    const h = harness!;
    const viewer = await browser!.newContext({ viewport: { width: 1180, height: 820 }, locale: 'ja-JP' });
    try {
      const page = await viewer.newPage();
      await logIn(page, h.url, VIEWER);
      expect(await page.getByTestId('nav-system').count()).toBe(0);
      await page.goto(`${h.url}/system`);
      await page.getByText('このページは管理者だけが使えます。').waitFor();
      expect(await page.getByTestId('system-page').count()).toBe(0);
    } finally {
      await viewer.close();
    }
  });
});
