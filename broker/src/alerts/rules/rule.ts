/**
 * What a rule is: pure functions from what the hub knows about one node (its snapshot, an
 * event, the time) to a verdict — raise the rule's alarm, resolve it, or nothing. No I/O, no
 * clock of their own: the engine passes `now`, so every rule is testable with a table.
 */
import type { NodeSnapshot } from '@mieruka/protocol';
import type { Config } from '@mieruka/protocol';
import type { WorkCalendar } from './work-calendar.js';

export type RulesConfig = Config['alerts']['rules'];
/** The node rules (everything but the hub-wide channelBroken and the overrides table). */
export type NodeRuleKey = Exclude<keyof RulesConfig, 'overrides' | 'channelBroken'>;
export type RuleSettings<K extends keyof RulesConfig = NodeRuleKey> = RulesConfig[K];

export type Bilingual = { ja: string; en: string };

export type Verdict =
  | {
      action: 'raise';
      /** When the condition began (becomes the alarm's activeSince). */
      at: number;
      message: Bilingual;
      details?: Record<string, unknown>;
    }
  | { action: 'resolve' }
  | null;

export const RESOLVE: Verdict = { action: 'resolve' };

export type RuleContext<K extends NodeRuleKey> = {
  now: number;
  settings: RuleSettings<K>;
  /** Display name of the node (config name, else its id). */
  name: string;
  /** When the engine began watching: silence is measured from here at the earliest. */
  watchSince: number;
  calendar: WorkCalendar;
};

export type LiveEvent = { ts: number; seq: number; type: string; [k: string]: unknown };

export type RuleDefinition<K extends NodeRuleKey> = {
  key: K;
  /** The alarm type it raises. */
  type: string;
  /** A node's snapshot changed (`previous`: the one before, if any). */
  onNode?(previous: NodeSnapshot | undefined, node: NodeSnapshot, ctx: RuleContext<K>): Verdict;
  /** An event arrived (deduplicated by ingest). */
  onEvent?(event: LiveEvent, node: NodeSnapshot | undefined, ctx: RuleContext<K>): Verdict;
  /** Periodic check of durations and silence. */
  onTick?(node: NodeSnapshot, ctx: RuleContext<K>): Verdict;
};

/** A state that is new in `node` compared with `previous` (null when unchanged or absent). */
export function newState(previous: NodeSnapshot | undefined, node: NodeSnapshot): NonNullable<NodeSnapshot['state']> | null {
  const s = node.state;
  if (!s) return null;
  const p = previous?.state;
  if (p && p.ts === s.ts && p.state === s.state && p.since === s.since) return null;
  return s;
}
