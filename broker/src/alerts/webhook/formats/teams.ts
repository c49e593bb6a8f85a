/**
 * Microsoft Teams through Workflows (Power Automate): the flow "Post to a channel when a
 * webhook request is received" takes a message with one Adaptive Card attachment
 * (https://learn.microsoft.com/en-us/connectors/teams/?tabs=text1#microsoft-teams-webhook).
 * The retired Office 365 connector MessageCard is not produced: Workflows do not show it.
 */
import type { AlarmNotice, AlarmSeverity } from '../../channel.js';
import { noticeView, type WebhookBodyOptions } from './notice-view.js';

/** Adaptive Card TextBlock colours (https://adaptivecards.io/explorer/TextBlock.html). */
const COLOR: Record<AlarmSeverity, string> = { critical: 'Attention', major: 'Attention', minor: 'Warning', warning: 'Warning', info: 'Accent' };

/** Teams renders card schema 1.4 everywhere, desktop and mobile. */
export const TEAMS_CARD_VERSION = '1.4';

export function teamsBody(notice: AlarmNotice, options: WebhookBodyOptions = {}): Record<string, unknown> {
  const v = noticeView(notice, options);
  const settled = v.kind === 'cleared' || v.kind === 'acknowledged';
  const facts = [
    { title: v.labels.severity, value: v.severityLabel },
    { title: v.labels.kind, value: v.kindLabel },
    { title: v.labels.node, value: v.node },
    { title: v.labels.since, value: v.since },
    ...(v.acknowledgedBy ? [{ title: v.labels.acknowledgedBy, value: v.acknowledgedBy }] : []),
  ];
  const actions = [
    ...(v.dashboardUrl ? [{ type: 'Action.OpenUrl', title: v.labels.dashboard, url: v.dashboardUrl }] : []),
    ...(v.ackUrl ? [{ type: 'Action.OpenUrl', title: v.labels.acknowledge, url: v.ackUrl, style: 'positive' }] : []),
  ];
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: TEAMS_CARD_VERSION,
    body: [
      { type: 'TextBlock', text: v.title, weight: 'Bolder', size: 'Medium', color: settled ? 'Good' : COLOR[v.severity], wrap: true },
      { type: 'TextBlock', text: v.message, wrap: true },
      { type: 'FactSet', facts },
    ],
    ...(actions.length ? { actions } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}
