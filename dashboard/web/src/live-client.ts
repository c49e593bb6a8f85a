/**
 * Keeps the ws live feed open while logged in: reconnects with capped, jittered back-off,
 * and treats a feed silent past a few heartbeats as dead (browsers cannot see ws pings).
 */
import { batch } from '@preact/signals';
import { applyAlarm, clearAlarms, loadActiveAlarms } from './alarms-store.js';
import { fetchMe } from './api.js';
import { clearHistory, recordReading } from './live-history.js';
import { clearProduction, loadWaitingStops, productionChanged } from './production-store.js';
import { feedState, hubClockNow, lastFrameAt, now, replaceNodes, upsertNode, user } from './store.js';
import { liveMessagesOf } from '../../src/live-message.js';
import type { LiveMessage } from './types.js';

type AppliedUpdate = Extract<LiveMessage, { type: 'node' | 'alarm' }>;

function applyUpdate(msg: AppliedUpdate): void {
  if (msg.type === 'node') {
    upsertNode(msg.node);
    recordReading(msg.node);
  } else if (msg.type === 'alarm') applyAlarm(msg.alarm, msg.change);
}

/** Server heartbeat is 20 s: past this the banner says the data is stale… */
export const FEED_STALE_MS = 45_000;
/** …and past this the connection is presumed dead and replaced. */
const FEED_DEAD_MS = 90_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** Must match CLOSE_SESSION_ENDED on the server. */
const CLOSE_SESSION_ENDED = 4401;

export function startLiveFeed(): () => void {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const ticker = setInterval(() => {
    now.value = hubClockNow();
    if (ws && feedState.value === 'open' && now.value - lastFrameAt.value > FEED_DEAD_MS) ws.close();
  }, 1000);

  const connect = (): void => {
    if (stopped) return;
    feedState.value = attempt === 0 ? 'connecting' : 'down';
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/live`);
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      lastFrameAt.value = hubClockNow();
      feedState.value = 'open';
    };
    socket.onmessage = (ev: MessageEvent) => {
      lastFrameAt.value = hubClockNow();
      let msg: LiveMessage;
      try {
        msg = JSON.parse(String(ev.data)) as LiveMessage;
      } catch {
        return;
      }
      if (msg.type === 'snapshot') {
        replaceNodes(msg.nodes);
        for (const n of msg.nodes) recordReading(n);
        // Alarm changes and stops missed while disconnected: the snapshot is the moment to catch up.
        void loadActiveAlarms();
        productionChanged();
      } else {
        // One re-render for the whole frame, not one per update in a batch.
        let production = false;
        batch(() => {
          for (const m of liveMessagesOf(msg)) {
            if (m.type === 'node' || m.type === 'alarm') applyUpdate(m);
            else if (m.type === 'production') production = true;
          }
        });
        // Several production changes in one frame: one re-read.
        if (production) productionChanged();
      }
    };
    socket.onclose = (ev: CloseEvent) => {
      if (ws !== socket) return;
      ws = null;
      if (stopped) return;
      if (ev.code === CLOSE_SESSION_ENDED) {
        user.value = null;
        return;
      }
      feedState.value = 'down';
      scheduleRetry();
    };
  };

  const scheduleRetry = (): void => {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
    attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      // A refused upgrade looks like any network error; ask the API whether we are still logged in.
      fetchMe()
        .then((me) => {
          if (stopped) return;
          if (me === null) user.value = null;
          else connect();
        })
        .catch(() => {
          if (!stopped) scheduleRetry();
        });
    }, delay);
  };

  connect();
  void loadWaitingStops();
  return () => {
    stopped = true;
    clearInterval(ticker);
    if (retryTimer) clearTimeout(retryTimer);
    ws?.close();
    ws = null;
    feedState.value = 'connecting';
    clearHistory();
    clearAlarms();
    clearProduction();
  };
}
