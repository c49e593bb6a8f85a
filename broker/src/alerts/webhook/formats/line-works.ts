/**
 * LINE WORKS "Incoming Webhook" app (https://developers.worksmobile.com/jp/docs/webhook): a
 * POST to the URL the app issues per talk room, `title` plus `body.text` (plain text, no
 * cards or buttons), so links go into the text.
 */
import type { AlarmNotice } from '../../channel.js';
import { noticeView, severityMark, type WebhookBodyOptions } from './notice-view.js';

export function lineWorksBody(notice: AlarmNotice, options: WebhookBodyOptions = {}): Record<string, unknown> {
  const v = noticeView(notice, options);
  const lines = [v.message, `${v.labels.since}: ${v.since}`];
  if (v.acknowledgedBy) lines.push(`${v.labels.acknowledgedBy}: ${v.acknowledgedBy}`);
  if (v.dashboardUrl) lines.push(`${v.labels.dashboard}: ${v.dashboardUrl}`);
  if (v.ackUrl) lines.push(`${v.labels.acknowledge}: ${v.ackUrl}`);
  return { title: `${severityMark(v)} ${v.title}`, body: { text: lines.join('\n') } };
}
