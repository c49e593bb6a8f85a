/** The calendar's period in the URL: `?cal=year&period=2025` or `?period=2025-11` (a month). */
export type CalendarPeriod = { kind: 'month'; year: number; month: number } | { kind: 'year'; year: number };

const pad = (n: number) => String(n).padStart(2, '0');

export function periodFrom(search: URLSearchParams, thisMonth: string): CalendarPeriod {
  const [ty, tm] = thisMonth.split('-').map(Number) as [number, number];
  const text = search.get('period') ?? '';
  if (search.get('cal') === 'year') {
    const y = /^\d{4}$/.test(text) ? Number(text) : ty;
    return { kind: 'year', year: Math.min(Math.max(y, 2000), ty) };
  }
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[1]) >= 2000 && `${m[1]}-${m[2]}` <= thisMonth) return { kind: 'month', year: Number(m[1]), month: Number(m[2]) };
  return { kind: 'month', year: ty, month: tm };
}

export function periodText(p: CalendarPeriod): string {
  return p.kind === 'year' ? String(p.year) : `${p.year}-${pad(p.month)}`;
}

export function periodSearch(p: CalendarPeriod): string {
  return p.kind === 'year' ? `?cal=year&period=${p.year}` : `?period=${periodText(p)}`;
}

/** The API parameter: `month=YYYY-MM` or `year=YYYY`. */
export function periodQuery(p: CalendarPeriod): string {
  return p.kind === 'year' ? `year=${p.year}` : `month=${periodText(p)}`;
}

export function shiftPeriod(p: CalendarPeriod, direction: -1 | 1): CalendarPeriod {
  if (p.kind === 'year') return { kind: 'year', year: p.year + direction };
  const index = p.year * 12 + (p.month - 1) + direction;
  return { kind: 'month', year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** Switching month ↔ year keeps the year (and picks this month, or December of a past year). */
export function switchKind(p: CalendarPeriod, kind: CalendarPeriod['kind'], thisMonth: string): CalendarPeriod {
  if (p.kind === kind) return p;
  if (kind === 'year') return { kind: 'year', year: p.year };
  const [ty, tm] = thisMonth.split('-').map(Number) as [number, number];
  return { kind: 'month', year: p.year, month: p.year === ty ? tm : 12 };
}
