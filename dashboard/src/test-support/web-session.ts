/** Browser-test helpers shared by the page tests: logging in through the form, and watching a page for errors. */
import type { Page } from 'playwright-core';
import { ADMIN } from './harness.js';

export async function logIn(page: Page, url: string, who: { username: string; password: string } = ADMIN): Promise<void> {
  await page.goto(url);
  await page.fill('input[name=username]', who.username);
  await page.fill('input[name=password]', who.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-overview').waitFor();
}

/**
 * Page errors and failed responses the test cares about (default: every status ≥ 400 except the
 * 401 of /api/me before login, which is expected).
 */
export function watchProblems(page: Page, counts: (status: number, url: string) => boolean = (status, url) => !(status === 401 && url.endsWith('/api/me'))): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400 && counts(res.status(), res.url())) problems.push(`${res.status()} ${res.url()}`);
  });
  return problems;
}
