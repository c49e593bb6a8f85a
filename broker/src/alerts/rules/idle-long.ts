/**
 * A machine has been idle (on, not cutting) for longer than afterMin within a work shift. Idle
 * time before the shift began does not count, so the morning does not start with alarms.
 */
import type { NodeSnapshot } from '@mieruka/protocol';
import { formatDuration } from './format.js';
import { RESOLVE, type RuleContext, type Verdict, type RuleDefinition } from './rule.js';

export function evaluateIdleLong(node: NodeSnapshot, { now, settings, name, calendar }: RuleContext<'idleLong'>): Verdict {
  const s = node.state;
  if (!s) return null;
  if (s.state !== 'idle') return RESOLVE;
  const shiftStart = calendar.shiftStartAt(now);
  if (shiftStart === null) return RESOLVE;
  const from = Math.max(s.since, shiftStart);
  const limitMs = settings.afterMin * 60_000;
  if (now - from < limitMs) return null;
  const d = formatDuration(limitMs);
  return {
    action: 'raise',
    at: from + limitMs,
    message: { ja: `${name}が勤務時間中に${d.ja}以上待機しています`, en: `${name} has been idle for more than ${d.en} during work hours` },
    details: { idleSince: s.since },
  };
}

export const idleLong: RuleDefinition<'idleLong'> = {
  key: 'idleLong',
  type: 'idle_long',
  onNode: (_previous, node, ctx) => evaluateIdleLong(node, ctx),
  onTick: evaluateIdleLong,
};
