/**
 * Sites as a filter (overview and andon): shown only when the hub knows more than one site.
 * The choice lives in the URL (`?site=hall-a`), so it survives a reload and a hall's wall
 * display can be bookmarked to its own site. A site-scoped viewer only ever gets its own
 * sites from the hub, so the filter offers exactly those.
 */
import { t } from '../../i18n/index.js';
import { navigate, search } from '../../router.js';

/** The chosen site, or null for every site. */
export function chosenSite(): string | null {
  const site = search.value.get('site');
  return site && /^[a-z0-9-]+$/.test(site) ? site : null;
}

export function uniqueSites(items: ReadonlyArray<{ site: string }>): string[] {
  return [...new Set(items.map((i) => i.site))].sort();
}

/** Same page, another site (the other query parameters stay). */
function hrefFor(site: string | null): string {
  const params = new URLSearchParams(search.value);
  if (site === null) params.delete('site');
  else params.set('site', site);
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}`;
}

export function SiteFilter({ sites }: { sites: readonly string[] }) {
  const chosen = chosenSite();
  // A bookmarked site the hub does not (yet) report stays selectable, so the choice is visible.
  const all = chosen !== null && !sites.includes(chosen) ? [...sites, chosen] : sites;
  const option = (site: string | null, label: string) => (
    <a
      href={hrefFor(site)}
      class={chosen === site ? 'site-option active' : 'site-option'}
      aria-current={chosen === site ? 'true' : undefined}
      data-testid={site === null ? 'site-all' : `site-${site}`}
      onClick={(ev) => {
        if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
        ev.preventDefault();
        navigate(hrefFor(site), { replace: true });
      }}
    >
      {label}
    </a>
  );
  return (
    <nav class="site-filter" aria-label={t('siteFilterLabel')} data-testid="site-filter">
      <span class="muted">{t('siteFilterLabel')}</span>
      {option(null, t('siteAll'))}
      {all.map((site) => option(site, site))}
    </nav>
  );
}
