/**
 * A node cannot be heard: its agent is offline (the LWT status online:false), its sensor is
 * silent (state `unknown`), or a node that streams readings sent nothing for silentAfterS.
 * Stations that only report at their slots are judged by their LWT alone.
 */
import type { NodeSnapshot } from '@mieruka/protocol';
import { formatDuration } from './format.js';
import { RESOLVE, type RuleContext, type Verdict, type RuleDefinition } from './rule.js';

export type OfflineCause = 'agent' | 'sensor' | 'silent';

export function offlineCause(node: NodeSnapshot, { now, settings, watchSince }: Pick<RuleContext<'sensorOffline'>, 'now' | 'settings' | 'watchSince'>): OfflineCause | null {
  if (node.online === false) return 'agent';
  // Readings newer than the unknown state: the sensor is heard, reading its floor (a sensor
  // fault, the sensorFault rule's alarm), not silent.
  if (node.state?.state === 'unknown' && !(node.current && node.current.ts > node.state.since)) return 'sensor';
  // Silence counts from when the hub began watching: a restarted hub gives agents time to speak.
  if (node.current !== null && now - Math.max(node.lastSeen ?? 0, watchSince) >= settings.silentAfterS * 1000) return 'silent';
  return null;
}

export function evaluateSensorOffline(node: NodeSnapshot, ctx: RuleContext<'sensorOffline'>): Verdict {
  const cause = offlineCause(node, ctx);
  if (cause === null) return RESOLVE;
  const { name, now, settings, watchSince } = ctx;
  // A restarted hub only knows the status stored before it stopped (often its own agents'
  // last wills): give them silentAfterS to reconnect before calling them offline.
  if (cause === 'agent' && (node.lastSeen ?? 0) < watchSince && now - watchSince < settings.silentAfterS * 1000) return null;
  switch (cause) {
    case 'agent':
      return {
        action: 'raise',
        at: now,
        message: { ja: `${name}のエージェントがオフラインです`, en: `${name}: the agent is offline` },
        details: { cause, agent: node.agent },
      };
    case 'sensor':
      return {
        action: 'raise',
        at: Math.min(node.state?.since ?? now, now),
        message: { ja: `${name}のセンサーから測定値が届きません`, en: `${name}: no readings from the sensor` },
        details: { cause },
      };
    case 'silent': {
      const d = formatDuration(settings.silentAfterS * 1000);
      return {
        action: 'raise',
        at: Math.max(node.lastSeen ?? 0, watchSince),
        message: { ja: `${name}から${d.ja}以上データが届いていません`, en: `No data from ${name} for more than ${d.en}` },
        details: { cause, lastSeen: node.lastSeen },
      };
    }
  }
}

export const sensorOffline: RuleDefinition<'sensorOffline'> = {
  key: 'sensorOffline',
  type: 'sensor_offline',
  onNode: (_previous, node, ctx) => evaluateSensorOffline(node, ctx),
  onTick: evaluateSensorOffline,
};
