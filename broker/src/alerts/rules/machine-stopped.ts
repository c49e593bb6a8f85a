/** A machine went from running straight to off: power cut, emergency stop, breaker — not a normal stop via idle. */
import { newState, RESOLVE, type RuleDefinition } from './rule.js';

export const machineStopped: RuleDefinition<'machineStopped'> = {
  key: 'machineStopped',
  type: 'machine_stopped',
  onNode(previous, node, { name }) {
    const s = newState(previous, node);
    if (!s) return null;
    if (s.state === 'off' && previous?.state?.state === 'running') {
      return {
        action: 'raise',
        at: s.since,
        message: { ja: `${name}が運転中に停止しました（電源オフ）`, en: `${name} stopped while running (power off)` },
        details: { runningSince: previous.state.since },
      };
    }
    // Back on (idle or running): the stop is over. `unknown` tells nothing either way.
    return s.state === 'running' || s.state === 'idle' ? RESOLVE : null;
  },
};
