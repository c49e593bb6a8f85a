/**
 * Runs the node rules over the hub's live stream (every snapshot change and event that
 * ingest accepted) and over a periodic tick (durations, silence), and turns verdicts into
 * raise/resolve calls on the alarm sink. One failing rule is logged and counted; it never
 * stops ingest or the other rules.
 */
import type { LiveUpdate, NodeSnapshot } from '@mieruka/protocol';
import type { Logger } from 'pino';
import { applyVerdict, type AlarmSink } from './apply-verdict.js';
import { isCatchingUp, isLateChange } from './history.js';
import { NODE_RULES } from './node-rules.js';
import type { NodeRuleKey, RuleContext, RuleDefinition, RulesConfig, Verdict } from './rule.js';
import { RuleSettingsResolver } from './rule-settings.js';
import type { WorkCalendar } from './work-calendar.js';

export type { AlarmSink };

export type RulesEngineOptions = {
  rules: RulesConfig;
  calendar: WorkCalendar;
  sink: AlarmSink;
  logger: Logger;
  /** Display name of a node (config name); default: its id. */
  nameOf?: (site: string, node: string) => string;
  now?: () => number;
  nodeRules?: readonly RuleDefinition<NodeRuleKey>[];
};

const keyOf = (site: string, node: string) => `${site}/${node}`;

export class RulesEngine {
  private readonly options: RulesEngineOptions;
  private readonly settings: RuleSettingsResolver;
  private readonly rules: readonly RuleDefinition<NodeRuleKey>[];
  private readonly now: () => number;
  private readonly snapshots = new Map<string, NodeSnapshot>();
  private watchSince = 0;
  private errors = 0;
  private lastErrorLog = 0;

  constructor(options: RulesEngineOptions) {
    this.options = options;
    this.settings = new RuleSettingsResolver(options.rules);
    this.rules = options.nodeRules ?? NODE_RULES;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts watching from the snapshots the hub already has (no verdicts for them until they
   * change or a tick). `watchingSince`: when the hub began watching, kept when new settings
   * replace the engine, so silence is still counted from the hub's start.
   */
  start(snapshots: readonly NodeSnapshot[], watchingSince?: number): void {
    this.watchSince = watchingSince ?? this.now();
    this.snapshots.clear();
    for (const s of snapshots) this.snapshots.set(keyOf(s.site, s.node), s);
  }

  get watchingSince(): number {
    return this.watchSince;
  }

  get ruleErrors(): number {
    return this.errors;
  }

  handle(update: LiveUpdate): void {
    if (update.type === 'node') {
      const node = update.node;
      const key = keyOf(node.site, node.node);
      const previous = this.snapshots.get(key);
      this.snapshots.set(key, node);
      const history = isCatchingUp(node) || isLateChange(previous, node, this.now());
      for (const rule of this.rules) if (rule.onNode) this.run(rule, node.site, node.node, (ctx) => rule.onNode?.(previous, node, ctx) ?? null, history);
    } else if (update.type === 'event') {
      const node = this.snapshots.get(keyOf(update.site, update.node));
      for (const rule of this.rules) if (rule.onEvent) this.run(rule, update.site, update.node, (ctx) => rule.onEvent?.(update.event, node, ctx) ?? null);
    }
  }

  tick(): void {
    for (const node of this.snapshots.values()) {
      const history = isCatchingUp(node);
      for (const rule of this.rules) if (rule.onTick) this.run(rule, node.site, node.node, (ctx) => rule.onTick?.(node, ctx) ?? null, history);
    }
  }

  /** `history`: the snapshot is the past (late data, a node catching up): its verdicts may resolve, never raise. */
  private run(rule: RuleDefinition<NodeRuleKey>, site: string, node: string, evaluate: (ctx: RuleContext<NodeRuleKey>) => Verdict, history = false): void {
    try {
      const settings = this.settings.get(rule.key, node);
      applyVerdict(this.options.sink, { site, node, type: rule.type }, settings, () => {
        const ctx: RuleContext<NodeRuleKey> = {
          now: this.now(),
          settings,
          name: this.options.nameOf?.(site, node) ?? node,
          watchSince: this.watchSince,
          calendar: this.options.calendar,
        };
        const verdict = evaluate(ctx);
        return history && verdict?.action === 'raise' ? null : verdict;
      });
    } catch (err) {
      this.errors += 1;
      const now = this.now();
      // A rule that throws on every message must not flood the log.
      if (now - this.lastErrorLog > 60_000) {
        this.lastErrorLog = now;
        this.options.logger.error({ err, rule: rule.key, site, node, errors: this.errors }, 'alert rule failed');
      }
    }
  }
}
