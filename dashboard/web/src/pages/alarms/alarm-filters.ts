/**
 * The alarms page's choices live in the URL query (bookmarkable, survive a reload):
 * `tab=history`, `node=<site>/<node>`, `severity=critical,major`, `from`/`to` = local dates.
 */
import { SEVERITIES } from '../../alarms-store.js';
import type { AlarmItem, AlarmSeverity } from '../../types.js';
import { addDays, startOfDay } from '../../site-time.js';
import { siteTimeZone } from '../../store.js';

export type AlarmFilters = {
  tab: 'active' | 'history';
  /** `site/node`, or null for all. */
  node: string | null;
  severity: AlarmSeverity[];
  /** YYYY-MM-DD, inclusive, history only. */
  from: string | null;
  to: string | null;
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NODE = /^[a-z0-9-]+\/[a-z0-9-]+$/;
export const HISTORY_LIMIT = 500;

export function readFilters(q: URLSearchParams): AlarmFilters {
  const node = q.get('node');
  const from = q.get('from');
  const to = q.get('to');
  return {
    tab: q.get('tab') === 'history' ? 'history' : 'active',
    node: node && NODE.test(node) ? node : null,
    severity: (q.get('severity') ?? '').split(',').filter((s): s is AlarmSeverity => (SEVERITIES as readonly string[]).includes(s)),
    from: from && DATE.test(from) ? from : null,
    to: to && DATE.test(to) ? to : null,
  };
}

export function filtersHref(f: AlarmFilters): string {
  const q = new URLSearchParams();
  if (f.tab === 'history') q.set('tab', 'history');
  if (f.node) q.set('node', f.node);
  if (f.severity.length > 0) q.set('severity', SEVERITIES.filter((s) => f.severity.includes(s)).join(','));
  if (f.tab === 'history' && f.from) q.set('from', f.from);
  if (f.tab === 'history' && f.to) q.set('to', f.to);
  const text = q.toString();
  return text ? `/alarms?${text}` : '/alarms';
}

/** Midnight of a YYYY-MM-DD date on the factory's clock (the site's zone), plus whole days. */
function localMidnight(date: string, days = 0): number {
  const zone = siteTimeZone.value;
  const day = addDays(date, days);
  if (zone) return startOfDay(day, zone);
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

export function rangeOf(f: AlarmFilters): { from?: number; to?: number } {
  return {
    ...(f.from ? { from: localMidnight(f.from) } : {}),
    ...(f.to ? { to: localMidnight(f.to, 1) } : {}),
  };
}

export function badRange(f: AlarmFilters): boolean {
  return f.from !== null && f.to !== null && f.to < f.from;
}

/** GET /api/alarms for the history tab. */
export function historyUrl(f: AlarmFilters): string {
  const q = new URLSearchParams({ state: 'history', limit: String(HISTORY_LIMIT) });
  if (f.node) {
    const [site, node] = f.node.split('/') as [string, string];
    q.set('site', site);
    q.set('node', node);
  }
  if (f.severity.length > 0) q.set('severity', f.severity.join(','));
  const r = rangeOf(f);
  if (r.from !== undefined) q.set('from', String(r.from));
  if (r.to !== undefined) q.set('to', String(r.to));
  return `/api/alarms?${q.toString()}`;
}

/** Whether an alarm belongs in the list the filters describe (for live updates). */
export function matches(a: AlarmItem, f: AlarmFilters): boolean {
  if (f.node && `${a.site}/${a.node}` !== f.node) return false;
  if (f.severity.length > 0 && !f.severity.includes(a.severity)) return false;
  if (f.tab === 'active') return a.active;
  const r = rangeOf(f);
  if (r.from !== undefined && a.activeSince < r.from) return false;
  if (r.to !== undefined && a.activeSince >= r.to) return false;
  return true;
}
