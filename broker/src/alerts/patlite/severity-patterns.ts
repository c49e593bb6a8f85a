/**
 * Which pattern a tower shows for each alarm severity, and for how long at most.
 * A severity mapped to `null` does not light the tower.
 */
import { ALARM_SEVERITIES } from '@mieruka/protocol';
import type { AlarmSeverity } from '../channel.js';
import type { TowerSignal } from './tower-signal.js';

export const SEVERITIES_HIGH_TO_LOW: readonly AlarmSeverity[] = ALARM_SEVERITIES;

export type SeverityPattern = TowerSignal & {
  /** Overrides the tower's hold time for this severity (seconds). */
  holdS?: number;
};

export type SeverityPatterns = Partial<Record<AlarmSeverity, SeverityPattern | null>>;

export const DEFAULT_SEVERITY_PATTERNS: Readonly<Record<AlarmSeverity, SeverityPattern>> = Object.freeze({
  critical: { red: 'blink', amber: 'off', green: 'off', buzzer: 1 },
  major: { red: 'on', amber: 'off', green: 'off', buzzer: 0 },
  minor: { red: 'off', amber: 'on', green: 'off', buzzer: 0 },
  warning: { red: 'off', amber: 'on', green: 'off', buzzer: 0 },
  info: { red: 'off', amber: 'off', green: 'blink', buzzer: 0 },
});

/** Default hold: a lit pattern goes dark after 15 minutes unless a reminder lights it again. */
export const DEFAULT_HOLD_S = 900;

export function resolvePatterns(overrides: SeverityPatterns = {}): Record<AlarmSeverity, SeverityPattern | null> {
  const out = { ...DEFAULT_SEVERITY_PATTERNS } as Record<AlarmSeverity, SeverityPattern | null>;
  for (const s of SEVERITIES_HIGH_TO_LOW) if (s in overrides) out[s] = overrides[s] ?? null;
  return out;
}

export function severityRank(severity: AlarmSeverity): number {
  return SEVERITIES_HIGH_TO_LOW.length - SEVERITIES_HIGH_TO_LOW.indexOf(severity);
}
