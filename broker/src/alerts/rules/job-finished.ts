/** A run finished normally: someone may unload the machine. Resolved when the next run starts. */
import { formatDuration } from './format.js';
import { LATE_MS } from './history.js';
import { newState, RESOLVE, type RuleDefinition } from './rule.js';

/** Events replayed from an agent's store-and-forward queue after this long are history, not news. */
export const STALE_EVENT_MS = LATE_MS;

export const jobFinished: RuleDefinition<'jobFinished'> = {
  key: 'jobFinished',
  type: 'job_finished',
  onEvent(event, _node, { name, now }) {
    if (event.type !== 'run_finished' || event.interrupted === true) return null;
    if (now - event.ts > STALE_EVENT_MS) return null;
    const durationS = typeof event.durationS === 'number' && Number.isFinite(event.durationS) ? event.durationS : null;
    const d = durationS === null ? null : formatDuration(durationS * 1000);
    return {
      action: 'raise',
      at: Math.min(event.ts, now),
      message: {
        ja: d ? `${name}のジョブが終了しました（運転時間 ${d.ja}）` : `${name}のジョブが終了しました`,
        en: d ? `${name} finished a job (ran ${d.en})` : `${name} finished a job`,
      },
      details: { durationS, ...(typeof event.startedAt === 'number' ? { startedAt: event.startedAt } : {}) },
    };
  },
  onNode(previous, node) {
    return newState(previous, node)?.state === 'running' ? RESOLVE : null;
  },
};
