/**
 * The JSON a webhook receives: a `text` field that Slack, Mattermost, Rocket.Chat, Discord-
 * compatible bridges and Teams' legacy incoming webhooks show as is, plus the structured alarm
 * under `mieruka` for anything that wants to parse it (Node-RED, n8n, Power Automate).
 */
import { MIERUKA_VERSION } from '@mieruka/protocol';
import type { AlarmNotice } from '../channel.js';
import { noticeView, type WebhookBodyOptions } from './formats/notice-view.js';

export type { WebhookBodyOptions, WebhookLanguage } from './formats/notice-view.js';

const SINCE = { ja: (t: string) => `${t} から`, en: (t: string) => `since ${t}` };

/** The plain-text message: the generic body's `text`, and the fallback of the chat formats. */
export function webhookText(notice: AlarmNotice, options: WebhookBodyOptions = {}): string {
  const v = noticeView(notice, options);
  const lines = [`${v.title} — ${v.message} (${SINCE[v.lang](v.since)})`];
  if (v.acknowledgedBy) lines.push(v.lang === 'ja' ? `確認者: ${v.acknowledgedBy}` : `acknowledged by ${v.acknowledgedBy}`);
  if (v.dashboardUrl) lines.push(`${v.labels.dashboard}: ${v.dashboardUrl}`);
  if (v.ackUrl) lines.push(`${v.labels.acknowledge}: ${v.ackUrl}`);
  return lines.join('\n');
}

export function webhookBody(notice: AlarmNotice, options: WebhookBodyOptions = {}): Record<string, unknown> {
  const { alarm } = notice;
  return {
    text: webhookText(notice, options),
    mieruka: {
      version: MIERUKA_VERSION,
      kind: notice.kind,
      level: notice.level ?? 0,
      alarm: {
        id: alarm.id,
        site: alarm.site,
        node: alarm.node,
        type: alarm.type,
        severity: alarm.severity,
        message: alarm.message,
        active: alarm.active,
        acknowledged: alarm.acknowledged,
        ...(alarm.acknowledgedBy ? { acknowledgedBy: alarm.acknowledgedBy } : {}),
        activeSince: new Date(alarm.activeSince).toISOString(),
        ...(alarm.clearedAt !== undefined ? { clearedAt: new Date(alarm.clearedAt).toISOString() } : {}),
      },
      ...(notice.dashboardUrl ? { dashboardUrl: notice.dashboardUrl } : {}),
      ...(options.includeAckUrl && notice.ackUrl ? { ackUrl: notice.ackUrl } : {}),
    },
  };
}
