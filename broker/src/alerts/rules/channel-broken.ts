/** An alert channel (mail, tower, webhook) has reported not-ok for afterS: a hub-wide alarm, told through the other channels. */
import type { RuleSettings, Verdict } from './rule.js';
import { RESOLVE } from './rule.js';

export const CHANNEL_BROKEN = 'channel_broken';
/** Node id of hub-level alarms. */
export const HUB_NODE = 'hub';

export type ChannelHealth = { name: string; ok: boolean; detail?: string; brokenSince: number | null };

export function evaluateChannels(channels: readonly ChannelHealth[], now: number, settings: RuleSettings<'channelBroken'>): Verdict {
  const broken = channels.filter((c) => !c.ok && c.brokenSince !== null && now - c.brokenSince >= settings.afterS * 1000);
  if (broken.length === 0) return RESOLVE;
  const names = broken.map((c) => c.name).sort();
  const details = broken.map((c) => (c.detail ? `${c.name}: ${c.detail}` : c.name)).join('; ');
  return {
    action: 'raise',
    at: Math.min(...broken.map((c) => c.brokenSince ?? now)),
    message: { ja: `通知チャネル ${names.join('、')} が使えません（${details}）`, en: `Alert channel ${names.join(', ')} is not working (${details})` },
    details: { channels: names },
  };
}
