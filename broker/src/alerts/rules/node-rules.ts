/** Every per-node rule, in evaluation order. */
import { clutterHigh } from './clutter-high.js';
import { idleLong } from './idle-long.js';
import { jobFinished } from './job-finished.js';
import { machineStopped } from './machine-stopped.js';
import type { NodeRuleKey, RuleDefinition } from './rule.js';
import { runningLong } from './running-long.js';
import { sensorFault } from './sensor-fault.js';
import { sensorOffline } from './sensor-offline.js';

// Each rule only ever sees the settings of its own key (the engine looks them up by rule.key);
// the cast forgets which key, since TypeScript cannot correlate a union of generic rules.
export const NODE_RULES: readonly RuleDefinition<NodeRuleKey>[] = [
  machineStopped,
  jobFinished,
  runningLong,
  idleLong,
  sensorOffline,
  sensorFault,
  clutterHigh,
] as unknown as readonly RuleDefinition<NodeRuleKey>[];
