/**
 * The andon board (/andon, and /kiosk/<token>/andon on a wall display): one tile per machine in
 * its state colour, the stop under way with its duration and reason, today's OEE in letters
 * readable across a hall. A sensor fault (clamp unplugged, ESP32 silent) shows as such — never
 * as "off" — because no downtime is booked for it. Operators enter good/scrap counts on the tile.
 */
import type { AndonBoard, AndonTile, DowntimeReason } from '@mieruka/protocol';
import { formatDuration } from '../../format.js';
import { lang, t } from '../../i18n/index.js';
import { productionVersion } from '../../production-store.js';
import { nodeKey, nodes, now } from '../../store.js';
import { ErrorNote, Loading } from '../machine/status.js';
import { useFetch } from '../machine/use-fetch.js';
import { missingText, percentText } from '../production/figures.js';
import { AndonCounts } from './andon-counts.js';
import { chosenSite, SiteFilter, uniqueSites } from '../overview/site-filter.js';
import '../production/production.css';

function reasonText(reasons: readonly DowntimeReason[], code: string): string {
  const r = reasons.find((x) => x.code === code);
  return r ? (lang.value === 'ja' ? r.ja : r.en) : code;
}

function Tile({ tile, reasons, at }: { tile: AndonTile; reasons: readonly DowntimeReason[]; at: number }) {
  // The live feed knows the state sooner than the board's next read.
  const live = nodes.value.get(nodeKey(tile.site, tile.node))?.state?.state;
  const state = tile.sensorFault ? 'unknown' : (live ?? tile.state);
  const today = tile.today;
  const stop = tile.sensorFault || state === 'running' ? null : tile.stop;
  return (
    <article
      class={`andon-tile ${tile.sensorFault ? 'andon-fault' : `andon-${state}`}`}
      data-testid={`andon-${tile.site}-${tile.node}`}
      data-state={state}
      data-sensor-fault={tile.sensorFault ? 'true' : 'false'}
    >
      <h2 class="andon-name">{tile.name ?? tile.node}</h2>
      {tile.sensorFault ? (
        <>
          <div class="andon-state" data-testid="andon-state">
            ⚠ {t('prod_andonSensorFault')}
          </div>
          <div class="andon-hint">{t('prod_andonSensorFaultHint')}</div>
        </>
      ) : (
        <div class="andon-state" data-testid="andon-state">
          {t(`state_${state}`)}
          {tile.online === false ? ` · ${t('prod_andonOffline')}` : ''}
        </div>
      )}
      {stop && (
        <>
          <div class="andon-stop" data-testid="andon-stop">
            {t('prod_andonStop', { d: formatDuration(at - stop.start) })}
          </div>
          <div class={stop.reason ? 'andon-reason' : 'andon-reason none'} data-testid="andon-reason">
            {stop.reason ? reasonText(reasons, stop.reason) : t('prod_andonNoReason')}
          </div>
        </>
      )}
      <div class="andon-oee">
        <span class="label">{t('prod_andonOeeToday')}</span>
        <span class={today.oee === null ? 'andon-oee-value missing' : 'andon-oee-value'} data-testid="andon-oee" data-value={today.oee === null ? '' : today.oee.toFixed(4)}>
          {today.oee === null ? missingText('oee', today.missing) : percentText(today.oee)}
        </span>
      </div>
      <div class="andon-parts">
        <span>
          {t('prod_availability')} {today.availability === null ? '—' : percentText(today.availability)}
        </span>
        <span>
          {t('prod_performance')} {today.performance === null ? '—' : percentText(today.performance)}
        </span>
        <span>
          {t('prod_quality')} {today.quality === null ? '—' : percentText(today.quality)}
        </span>
      </div>
      <AndonCounts site={tile.site} node={tile.node} />
    </article>
  );
}

export function AndonPage() {
  const board = useFetch<AndonBoard>('/api/andon', 30_000, productionVersion.value);
  const at = now.value;
  // Several sites: the same URL filter as the overview (a hall's screen shows its own machines).
  const sites = board.data ? uniqueSites(board.data.tiles) : [];
  const chosen = chosenSite();
  const tiles = board.data ? board.data.tiles.filter((tile) => chosen === null || tile.site === chosen) : [];
  return (
    <>
      {(sites.length > 1 || chosen !== null) && <SiteFilter sites={sites} />}
      <main class="andon" data-testid="andon-page" aria-label={t('prod_andonTitle')}>
        {board.error ? (
          <ErrorNote error={board.error} />
        ) : !board.data ? (
          <Loading />
        ) : tiles.length === 0 ? (
          <p class="empty">{t('prod_andonEmpty')}</p>
        ) : (
          tiles.map((tile) => <Tile key={`${tile.site}/${tile.node}`} tile={tile} reasons={board.data!.reasons} at={at} />)
        )}
      </main>
    </>
  );
}
