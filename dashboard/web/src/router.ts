/**
 * Client-side routes on real paths (the server answers index.html for any non-API path).
 * One place that knows the URL shapes: pages build links with the helpers below.
 */
import { signal } from '@preact/signals';

export type Route =
  | { page: 'overview' }
  | { page: 'machine'; site: string; node: string }
  | { page: 'bench'; site: string; node: string }
  | { page: 'alarms' }
  | { page: 'settings' }
  | { page: 'system' }
  | { page: 'andon' }
  | { page: 'kiosk'; token: string; view: 'overview' | 'andon' }
  | { page: 'not-found' };

const ID = '([a-z0-9-]+)';
const MACHINE = new RegExp(`^/machines/${ID}/${ID}/?$`);
const BENCH = new RegExp(`^/benches/${ID}/${ID}/?$`);
const KIOSK = /^\/kiosk\/([A-Za-z0-9_-]{16,256})(\/andon)?\/?$/;

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'overview' };
  if (pathname === '/alarms' || pathname === '/alarms/') return { page: 'alarms' };
  if (pathname === '/settings' || pathname === '/settings/') return { page: 'settings' };
  if (pathname === '/system' || pathname === '/system/') return { page: 'system' };
  if (pathname === '/andon' || pathname === '/andon/') return { page: 'andon' };
  let m = MACHINE.exec(pathname);
  if (m) return { page: 'machine', site: m[1]!, node: m[2]! };
  m = BENCH.exec(pathname);
  if (m) return { page: 'bench', site: m[1]!, node: m[2]! };
  m = KIOSK.exec(pathname);
  if (m) return { page: 'kiosk', token: m[1]!, view: m[2] ? 'andon' : 'overview' };
  return { page: 'not-found' };
}

export const route = signal<Route>(parseRoute(location.pathname));
/** The query string of the current URL (pages keep their range/filter choices there). */
export const search = signal<URLSearchParams>(new URLSearchParams(location.search));

export const paths = {
  overview: () => '/',
  machine: (site: string, node: string) => `/machines/${encodeURIComponent(site)}/${encodeURIComponent(node)}`,
  bench: (site: string, node: string) => `/benches/${encodeURIComponent(site)}/${encodeURIComponent(node)}`,
  alarms: () => '/alarms',
  settings: () => '/settings',
  system: () => '/system',
  andon: () => '/andon',
};

/** Goes to an app path without reloading; `replace` keeps the history entry (filter changes). */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  const url = new URL(href, location.origin);
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route.value = parseRoute(url.pathname);
  search.value = new URLSearchParams(url.search);
  if (!options.replace) window.scrollTo(0, 0);
}

addEventListener('popstate', () => {
  route.value = parseRoute(location.pathname);
  search.value = new URLSearchParams(location.search);
});

/** onClick for <a href>: plain clicks navigate in-app; modified clicks open normally. */
export function linkClick(ev: MouseEvent): void {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.currentTarget as HTMLAnchorElement;
  if (a.target || a.hasAttribute('download') || a.origin !== location.origin || a.pathname.startsWith('/api/')) return;
  ev.preventDefault();
  navigate(a.pathname + a.search);
}
