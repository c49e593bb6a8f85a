/**
 * The live current chart's data: the last 30 minutes from the current API, then every live
 * reading the feed brings (the node snapshot in the store), within a bounded window. A node
 * catching up (store-and-forward) sends readings older than the live one, which the feed does
 * not bring: each new status of its queue re-reads the window, keeping the chart meanwhile.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiGet, ApiError } from '../../api.js';
import type { TimeSeries } from '../../charts/time-series-chart.js';
import { hubClockNow, nodeKey, nodes } from '../../store.js';
import type { CurrentAnswer } from './types.js';

export const LIVE_WINDOW_MS = 30 * 60_000;
/** 30 minutes of one reading a second come raw; faster sensors get 1 s buckets. */
const POINTS = 1800;
/** A longer silence is drawn as a gap, not as a straight line across it. */
const GAP_MS = 60_000;
/** Never hold more than this, whatever the sensor rate. */
const MAX_POINTS = 5000;

export type LiveCurrent = { series: TimeSeries; channel: number; bucketMs: number; lastTs: number | null };

function emptySeries(): TimeSeries {
  return { x: [], y: [], band: { min: [], max: [] } };
}

/** Appends a point (a null row first when there was a long gap) and drops what left the window. */
function append(series: TimeSeries, ts: number, avg: number, min: number, max: number): TimeSeries {
  const x = series.x.slice();
  const y = series.y.slice();
  const lo = series.band!.min.slice();
  const hi = series.band!.max.slice();
  const last = x[x.length - 1];
  if (last !== undefined && ts - last > GAP_MS) {
    x.push(last + 1);
    y.push(null);
    lo.push(null);
    hi.push(null);
  }
  x.push(ts);
  y.push(avg);
  lo.push(min);
  hi.push(max);
  let drop = 0;
  while (drop < x.length && (x[drop]! < ts - LIVE_WINDOW_MS || x.length - drop > MAX_POINTS)) drop++;
  return drop === 0 ? { x, y, band: { min: lo, max: hi } } : { x: x.slice(drop), y: y.slice(drop), band: { min: lo.slice(drop), max: hi.slice(drop) } };
}

export function useLiveCurrent(site: string, node: string): { live: LiveCurrent | null; error: ApiError | null } {
  const [live, setLive] = useState<LiveCurrent | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const shown = useRef('');
  const backlogAt = nodes.value.get(nodeKey(site, node))?.backlog?.at ?? null;

  useEffect(() => {
    const controller = new AbortController();
    // Another machine starts empty; a new backlog status of the same one re-reads in the background.
    if (shown.current !== nodeKey(site, node)) {
      shown.current = nodeKey(site, node);
      setLive(null);
    }
    setError(null);
    const now = hubClockNow();
    const path = `/api/machines/${encodeURIComponent(site)}/${encodeURIComponent(node)}/current?from=${now - LIVE_WINDOW_MS}&to=${now + 60_000}&points=${POINTS}`;
    apiGet<CurrentAnswer>(path, controller.signal).then(
      (answer) => {
        let series = emptySeries();
        for (const p of answer.points) series = append(series, p.ts, p.avg, p.min, p.max);
        // The latest live reading (if newer) is appended by the effect below once this is set.
        setLive({ series, channel: answer.channel, bucketMs: answer.bucketMs, lastTs: series.x.at(-1) ?? null });
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err)));
      },
    );
    return () => controller.abort();
  }, [site, node, backlogAt]);

  const reading = nodes.value.get(nodeKey(site, node))?.current ?? null;
  useEffect(() => {
    if (!reading || !live) return;
    const value = reading.irms[live.channel];
    if (value === undefined || (live.lastTs !== null && reading.ts <= live.lastTs)) return;
    setLive({ ...live, series: append(live.series, reading.ts, value, value, value), lastTs: reading.ts });
  }, [reading?.ts, reading?.seq, live?.lastTs, live?.channel]);

  return { live, error };
}
