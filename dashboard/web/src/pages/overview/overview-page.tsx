/**
 * Every machine, then every work-bench station, as tiles; denser and larger on a kiosk wall
 * display. With more than one site: a site filter (kept in the URL) and, for "all", the tiles
 * grouped under a heading per site.
 */
import { useEffect } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { loadNodeNames } from '../../node-names.js';
import { kiosk, nodes } from '../../store.js';
import type { NodeSnapshot } from '../../types.js';
import { MachineTile } from './machine-tile.js';
import { OverviewPareto } from '../production/pareto-section.js';
import { chosenSite, SiteFilter, uniqueSites } from './site-filter.js';
import { StationTile } from './station-tile.js';

/** A clutter station reports scores but no machine state or current; anything else is a machine. */
export function isStation(n: NodeSnapshot): boolean {
  return n.state === null && n.current === null && n.clutter !== null;
}

/** The machines and stations of one list; `idSuffix` keeps heading ids unique per site. */
function NodeSections({ list, idSuffix }: { list: readonly NodeSnapshot[]; idSuffix: string }) {
  const machines = list.filter((n) => !isStation(n));
  const stations = list.filter(isStation);
  return (
    <>
      {machines.length > 0 && (
        <section aria-labelledby={`ov-machines${idSuffix}`}>
          <h2 class="group-title" id={`ov-machines${idSuffix}`}>
            {t('overviewMachines')} <span class="muted">{machines.length}</span>
          </h2>
          <div class="grid" data-testid="node-grid">
            {machines.map((n) => (
              <MachineTile key={`${n.site}/${n.node}`} node={n} />
            ))}
          </div>
        </section>
      )}
      {stations.length > 0 && (
        <section aria-labelledby={`ov-stations${idSuffix}`}>
          <h2 class="group-title" id={`ov-stations${idSuffix}`}>
            {t('overviewStations')} <span class="muted">{stations.length}</span>
          </h2>
          <div class="grid" data-testid="station-grid">
            {stations.map((n) => (
              <StationTile key={`${n.site}/${n.node}`} node={n} />
            ))}
          </div>
        </section>
      )}
    </>
  );
}

export function OverviewPage() {
  useEffect(() => {
    void loadNodeNames();
  }, []);
  const all = [...nodes.value.values()].sort((a, b) => a.site.localeCompare(b.site) || a.node.localeCompare(b.node));
  const sites = uniqueSites(all);
  const multiSite = sites.length > 1;
  const chosen = chosenSite();
  const list = chosen === null ? all : all.filter((n) => n.site === chosen);
  const hasMachines = list.some((n) => !isStation(n));
  return (
    <main class={kiosk.value ? 'overview overview-kiosk' : 'overview'} data-testid="overview">
      {(multiSite || chosen !== null) && <SiteFilter sites={sites} />}
      {list.length === 0 ? (
        <p class="empty" data-testid="no-nodes">
          {chosen === null ? t('noNodes') : t('siteEmpty')}
        </p>
      ) : multiSite && chosen === null ? (
        sites.map((site) => (
          <section class="site-group" data-testid="site-group" data-site={site} key={site} aria-labelledby={`ov-site-${site}`}>
            <h2 class="site-title" id={`ov-site-${site}`}>
              {t('siteHeading', { site })}
            </h2>
            <NodeSections list={list.filter((n) => n.site === site)} idSuffix={`-${site}`} />
          </section>
        ))
      ) : (
        <NodeSections list={list} idSuffix="" />
      )}
      {/* The lost-time Pareto covers every machine the user may see, whatever the filter. */}
      {hasMachines && !kiosk.value && <OverviewPareto />}
    </main>
  );
}
