/** The settings of a rule for one node: the site-wide rule with that node's overrides on top. */
import type { NodeRuleKey, RuleSettings, RulesConfig } from './rule.js';

export class RuleSettingsResolver {
  private readonly rules: RulesConfig;
  private readonly cache = new Map<string, unknown>();

  constructor(rules: RulesConfig) {
    this.rules = rules;
  }

  get<K extends NodeRuleKey>(key: K, node: string): RuleSettings<K> {
    const id = `${key}\u0000${node}`;
    let settings = this.cache.get(id) as RuleSettings<K> | undefined;
    if (!settings) {
      const override = this.rules.overrides[node]?.[key];
      settings = (override ? { ...this.rules[key], ...override } : this.rules[key]) as RuleSettings<K>;
      this.cache.set(id, settings);
    }
    return settings;
  }
}
