/** Number, time and duration formatting for the current language. */
import { locale, t } from './i18n.js';

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

/** Time of day; with the date when it is not today. */
export function formatTime(ts: number, now: number): string {
  const date = new Date(ts);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return new Intl.DateTimeFormat(locale.value, {
    ...(sameDay ? {} : { month: 'numeric', day: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
  }).format(date);
}
