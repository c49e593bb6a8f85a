/**
 * The range the machine page shows, kept in the URL (`?view=day|week&date=YYYY-MM-DD`) so a
 * reload or a shared link shows the same. Dates are local dates of the hub's time zone; the
 * API reads `from=<date>` as local midnight, so the browser never converts zones itself.
 */
import { addDays, isDate } from '../../site-time.js';

export type RangeView = 'day' | 'week';
/** `date` is the last day shown (a week is the 7 days ending with it). */
export type MachineRange = { view: RangeView; date: string };

export function rangeFrom(search: URLSearchParams, today: string): MachineRange {
  const view = search.get('view') === 'week' ? 'week' : 'day';
  const date = search.get('date');
  return { view, date: isDate(date) && date <= today ? date : today };
}

export function rangeSearch(range: MachineRange, today: string): string {
  const q = new URLSearchParams();
  if (range.view !== 'day') q.set('view', range.view);
  if (range.date !== today) q.set('date', range.date);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** First day and the day after the last one (for `from`/`to`). */
export function rangeDates(range: MachineRange): { first: string; end: string } {
  return { first: range.view === 'week' ? addDays(range.date, -6) : range.date, end: addDays(range.date, 1) };
}

export function shiftRange(range: MachineRange, direction: -1 | 1, today: string): MachineRange {
  const next = addDays(range.date, direction * (range.view === 'week' ? 7 : 1));
  return { ...range, date: next > today ? today : next };
}
