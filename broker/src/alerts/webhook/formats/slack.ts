/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): `text` is the
 * notification and fallback, `blocks` the message (Block Kit: header, section with fields,
 * context, link buttons). Slack reads `&`, `<` and `>` as markup in mrkdwn: escaped.
 */
import type { AlarmNotice } from '../../channel.js';
import { webhookText } from '../webhook-body.js';
import { noticeView, severityMark, type WebhookBodyOptions } from './notice-view.js';

/** https://api.slack.com/reference/surfaces/formatting#escaping */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Block Kit limits (header text 150, button text 75 characters): cut, never rejected by Slack. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function slackBody(notice: AlarmNotice, options: WebhookBodyOptions = {}): Record<string, unknown> {
  const v = noticeView(notice, options);
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${slackEscape(label)}*\n${slackEscape(value)}` });
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${severityMark(v)} ${v.title}`, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(v.message) } },
    {
      type: 'section',
      fields: [field(v.labels.severity, v.severityLabel), field(v.labels.kind, v.kindLabel), field(v.labels.node, v.node), field(v.labels.since, v.since)],
    },
  ];
  if (v.acknowledgedBy) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${v.labels.acknowledgedBy}: ${v.acknowledgedBy}`) }] });
  const buttons: Record<string, unknown>[] = [];
  if (v.dashboardUrl) buttons.push({ type: 'button', text: { type: 'plain_text', text: cut(v.labels.dashboard, 75) }, url: v.dashboardUrl });
  if (v.ackUrl) buttons.push({ type: 'button', style: 'primary', text: { type: 'plain_text', text: cut(v.labels.acknowledge, 75) }, url: v.ackUrl });
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  return { text: slackEscape(webhookText(notice, options)), blocks };
}
