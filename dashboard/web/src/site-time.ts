/**
 * Times in the hub's time zone (the API's `timeZone`), not the browser's: a supervisor on a
 * laptop set to another zone must read the same clock as the factory and the CSV exports.
 */
const cache = new Map<string, Intl.DateTimeFormat>();

export function formatter(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    cache.set(key, f);
  }
  return f;
}

/** The local date `YYYY-MM-DD` of an instant in `timeZone`. */
export function localDate(ts: number, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return formatter('en-CA', timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(ts);
}

/** A calendar date plus/minus whole days (pure date arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Monday = 0 … Sunday = 6 of a calendar date. */
export function weekdayMon0(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function isDate(text: string | null | undefined): text is string {
  return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text) && addDays(text, 0) === text;
}

/** The instant a local date begins (00:00) in `timeZone`, DST-safe. */
export function startOfDay(date: string, timeZone: string): number {
  return localInstant(date, 0, 0, timeZone);
}

/** The instant of a wall-clock time on a local date in `timeZone` (a time skipped by DST lands after the gap). */
export function localInstant(date: string, hour: number, minute: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const asUtc = Date.UTC(y, m - 1, d, hour, minute);
  // The zone's offset at a moment: its wall clock read as if it were UTC, minus the moment.
  const offsetAt = (t: number) => {
    const p = Object.fromEntries(formatter('en-CA', timeZone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(t).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - t;
  };
  const first = asUtc - offsetAt(asUtc);
  // Once more with the offset at that instant (the offset may differ across a DST change).
  return asUtc - offsetAt(first);
}

/** `HH:MM` of an instant in `timeZone`. */
export function localHhmm(ts: number, timeZone: string): string {
  return formatter('en-GB', timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ts);
}
