/** The settings of a rule for one node: the site-wide rule with that node's overrides on top. */
import type { NodeRuleKey, RuleSettings, RulesConfig } from './rule.js';

export class RuleSettingsResolver {
  private readonly rules: RulesConfig;
  /** Per node, per rule: asked for every rule on every live update, so no key string is built. */
  private readonly cache = new Map<string, Map<NodeRuleKey, unknown>>();

  constructor(rules: RulesConfig) {
    this.rules = rules;
  }

  get<K extends NodeRuleKey>(key: K, node: string): RuleSettings<K> {
    let byRule = this.cache.get(node);
    if (!byRule) {
      byRule = new Map();
      this.cache.set(node, byRule);
    }
    let settings = byRule.get(key) as RuleSettings<K> | undefined;
    if (!settings) {
      const override = this.rules.overrides[node]?.[key];
      settings = (override ? { ...this.rules[key], ...override } : this.rules[key]) as RuleSettings<K>;
      byRule.set(key, settings);
    }
    return settings;
  }
}
