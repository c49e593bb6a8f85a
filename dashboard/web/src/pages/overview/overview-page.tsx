/** Every machine, then every work-bench station, as tiles; denser and larger on a kiosk wall display. */
import { useEffect } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { loadNodeNames } from '../../node-names.js';
import { kiosk, nodes } from '../../store.js';
import type { NodeSnapshot } from '../../types.js';
import { MachineTile } from './machine-tile.js';
import { OverviewPareto } from '../production/pareto-section.js';
import { StationTile } from './station-tile.js';

/** A clutter station reports scores but no machine state or current; anything else is a machine. */
export function isStation(n: NodeSnapshot): boolean {
  return n.state === null && n.current === null && n.clutter !== null;
}

export function OverviewPage() {
  useEffect(() => {
    void loadNodeNames();
  }, []);
  const list = [...nodes.value.values()].sort((a, b) => a.site.localeCompare(b.site) || a.node.localeCompare(b.node));
  const machines = list.filter((n) => !isStation(n));
  const stations = list.filter(isStation);
  return (
    <main class={kiosk.value ? 'overview overview-kiosk' : 'overview'} data-testid="overview">
      {list.length === 0 ? (
        <p class="empty" data-testid="no-nodes">
          {t('noNodes')}
        </p>
      ) : (
        <>
          {machines.length > 0 && (
            <section aria-labelledby="ov-machines">
              <h2 class="group-title" id="ov-machines">
                {t('overviewMachines')} <span class="muted">{machines.length}</span>
              </h2>
              <div class="grid" data-testid="node-grid">
                {machines.map((n) => (
                  <MachineTile key={`${n.site}/${n.node}`} node={n} />
                ))}
              </div>
            </section>
          )}
          {machines.length > 0 && !kiosk.value && <OverviewPareto />}
          {stations.length > 0 && (
            <section aria-labelledby="ov-stations">
              <h2 class="group-title" id="ov-stations">
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
      )}
    </main>
  );
}
