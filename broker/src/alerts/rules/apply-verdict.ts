/**
 * The one step from a rule's verdict to the alarm lifecycle, for the node rules (RulesEngine)
 * and the hub-level channel_broken rule alike: a disabled rule resolves what it left behind,
 * `resolve` resolves, `raise` raises with the rule's severity and clear delay, null leaves it.
 */
import type { AlarmSeverity } from '@mieruka/protocol';
import type { AlarmKey, RaiseInput } from '../alarms/alarm-manager.js';
import type { Verdict } from './rule.js';

export type AlarmSink = { raise(input: RaiseInput): void; resolve(key: AlarmKey): void };

export type VerdictSettings = { enabled: boolean; severity: AlarmSeverity; clearAfterS: number };

/** `evaluate` runs only while the rule is enabled. */
export function applyVerdict(sink: AlarmSink, key: AlarmKey, settings: VerdictSettings, evaluate: () => Verdict): void {
  if (!settings.enabled) {
    // Disabled (perhaps since the last run): an alarm left from before must not hang forever.
    sink.resolve(key);
    return;
  }
  const verdict = evaluate();
  if (verdict === null) return;
  if (verdict.action === 'resolve') {
    sink.resolve(key);
    return;
  }
  sink.raise({
    ...key,
    severity: settings.severity,
    clearAfterMs: settings.clearAfterS * 1000,
    at: verdict.at,
    message: verdict.message,
    ...(verdict.details ? { details: verdict.details } : {}),
  });
}
