/** The bench's clutter score at a scheduled slot is above the threshold; a later tidy result resolves it. */
import { RESOLVE, type RuleDefinition } from './rule.js';

export const clutterHigh: RuleDefinition<'clutterHigh'> = {
  key: 'clutterHigh',
  type: 'clutter_high',
  onNode(previous, node, { settings, name }) {
    const c = node.clutter;
    if (!c || previous?.clutter?.ts === c.ts) return null;
    // Without a slot list: every scheduled slot, but not on-demand ("manual") shots.
    const watched = settings.slots ? settings.slots.includes(c.slot) : c.slot !== 'manual';
    if (!watched) return null;
    if (c.score <= settings.above) return RESOLVE;
    const score = Math.round(c.score * 10) / 10;
    return {
      action: 'raise',
      at: c.ts,
      message: {
        ja: `${name}の散乱度が${score}です（${c.slot}、しきい値 ${settings.above}）`,
        en: `${name} clutter score is ${score} at ${c.slot} (threshold ${settings.above})`,
      },
      details: { score: c.score, slot: c.slot, imageId: c.imageId },
    };
  },
};
