/**
 * The machine's agent says its current sensor is faulty (sensor_fault: the clamp reads the
 * ADC's floor while the machine's calibrated off level is above it — unplugged, broken lead),
 * so the time is not booked as downtime; its sensor_ok clears the alarm. An event replayed from
 * an agent's store-and-forward queue long after is history: it may clear, never raise.
 */
import { STALE_EVENT_MS } from './job-finished.js';
import { RESOLVE, type RuleDefinition } from './rule.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const sensorFault: RuleDefinition<'sensorFault'> = {
  key: 'sensorFault',
  type: 'sensor_fault',
  onEvent(event, _node, { name, now }) {
    if (event.type === 'sensor_ok') return RESOLVE;
    if (event.type !== 'sensor_fault' || now - event.ts > STALE_EVENT_MS) return null;
    const since = num(event.sinceTs) ?? event.ts;
    return {
      action: 'raise',
      at: Math.min(since, now),
      message: {
        ja: `${name}の電流センサーが異常です（クランプの外れ・断線の可能性）`,
        en: `${name}: current sensor fault (clamp unplugged or lead broken?)`,
      },
      details: { cause: event.cause, readingA: num(event.readingA), offLevelA: num(event.offLevelA), sinceTs: since },
    };
  },
};
