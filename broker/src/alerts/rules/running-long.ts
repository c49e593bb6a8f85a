/** A machine has been running for longer than afterMin (a job that should have ended, a stuck spindle). */
import type { NodeSnapshot } from '@mieruka/protocol';
import { formatDuration } from './format.js';
import { RESOLVE, type RuleContext, type Verdict, type RuleDefinition } from './rule.js';

export function evaluateRunningLong(node: NodeSnapshot, { now, settings, name }: RuleContext<'runningLong'>): Verdict {
  const s = node.state;
  if (!s) return null;
  if (s.state !== 'running') return RESOLVE;
  const limitMs = settings.afterMin * 60_000;
  if (now - s.since < limitMs) return null;
  const d = formatDuration(limitMs);
  return {
    action: 'raise',
    at: s.since + limitMs,
    message: { ja: `${name}が${d.ja}以上運転を続けています`, en: `${name} has been running for more than ${d.en}` },
    details: { runningSince: s.since },
  };
}

export const runningLong: RuleDefinition<'runningLong'> = {
  key: 'runningLong',
  type: 'running_long',
  onNode: (_previous, node, ctx) => evaluateRunningLong(node, ctx),
  onTick: evaluateRunningLong,
};
