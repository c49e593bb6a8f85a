/**
 * Google Chat incoming webhook (https://developers.google.com/workspace/chat/quickstart/webhooks):
 * `text` is the one-line summary (notifications, clients without cards), `cardsV2` one card
 * with the details and link buttons (https://developers.google.com/workspace/chat/api/reference/rest/v1/cards).
 * Card text takes a little HTML: `&`, `<` and `>` are escaped.
 */
import type { AlarmNotice } from '../../channel.js';
import { noticeView, severityMark, type WebhookBodyOptions } from './notice-view.js';

export function chatEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function googleChatBody(notice: AlarmNotice, options: WebhookBodyOptions = {}): Record<string, unknown> {
  const v = noticeView(notice, options);
  const fact = (label: string, value: string) => ({ decoratedText: { topLabel: label, text: chatEscape(value) } });
  const buttons = [
    ...(v.dashboardUrl ? [{ text: v.labels.dashboard, onClick: { openLink: { url: v.dashboardUrl } } }] : []),
    ...(v.ackUrl ? [{ text: v.labels.acknowledge, onClick: { openLink: { url: v.ackUrl } } }] : []),
  ];
  const widgets: Record<string, unknown>[] = [
    { textParagraph: { text: chatEscape(v.message) } },
    fact(v.labels.since, v.since),
    ...(v.acknowledgedBy ? [fact(v.labels.acknowledgedBy, v.acknowledgedBy)] : []),
    ...(buttons.length ? [{ buttonList: { buttons } }] : []),
  ];
  return {
    text: `${severityMark(v)} ${v.title} — ${v.message}`,
    cardsV2: [
      {
        cardId: 'mieruka-alarm',
        card: { header: { title: `${severityMark(v)} ${v.severityLabel} · ${v.kindLabel}`, subtitle: v.node }, sections: [{ widgets }] },
      },
    ],
  };
}
