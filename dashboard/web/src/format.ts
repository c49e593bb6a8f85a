/** Number, time and duration formatting for the current language. */
import { locale, t } from './i18n/index.js';
import { siteTimeZone } from './store.js';

/** A node with no message for this long is shown as stale (clutter stations talk rarely). */
export const NODE_STALE_MS = 10 * 60_000;

export function formatAmps(a: number): string {
  return `${a.toFixed(a >= 100 ? 0 : 2)} A`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('durSeconds', { n: s });
  const min = Math.floor(s / 60);
  if (min < 60) return t('durMinutes', { n: min });
  const h = Math.floor(min / 60);
  if (h < 24) return t('durHours', { h, m: min % 60 });
  return t('durDays', { d: Math.floor(h / 24), h: h % 24 });
}

/** The site's zone (the factory's clock), whatever zone the tablet is set to. */
function zone(): { timeZone?: string } {
  return siteTimeZone.value ? { timeZone: siteTimeZone.value } : {};
}

/** Time of day; with the date when it is not today (days in the site's zone). */
export function formatTime(ts: number, now: number): string {
  const day = new Intl.DateTimeFormat('en-CA', { ...zone(), year: 'numeric', month: '2-digit', day: '2-digit' });
  const sameDay = day.format(now) === day.format(ts);
  return new Intl.DateTimeFormat(locale.value, {
    ...zone(),
    ...(sameDay ? {} : { month: 'numeric', day: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ts);
}

/** A ratio 0..1 as a whole percentage. */
export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/** Date and time, for tables and "last saved" lines. */
export function formatDateTime(ts: number): string {
  return new Intl.DateTimeFormat(locale.value, { ...zone(), year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ts);
}
