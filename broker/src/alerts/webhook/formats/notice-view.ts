/**
 * What every webhook format shows of a notice, worded once: severity and kind labels, the
 * node, the message, the since time in the hub's time zone, and the links. The acknowledge
 * link is only handed out with includeAckUrl (anyone in the chat room could use it) and only
 * while there is something left to acknowledge.
 */
import type { AlarmNotice, AlarmSeverity } from '../../channel.js';

export type WebhookLanguage = 'ja' | 'en';

export type WebhookBodyOptions = {
  lang?: WebhookLanguage;
  /** The signed acknowledge link gives anyone in the chat room the power to acknowledge. */
  includeAckUrl?: boolean;
  /** IANA time zone for the text (default: the system's). */
  timeZone?: string;
};

export const SEVERITY_LABEL: Record<WebhookLanguage, Record<AlarmSeverity, string>> = {
  ja: { critical: '重大', major: '重要', minor: '軽微', warning: '警告', info: '情報' },
  en: { critical: 'CRITICAL', major: 'MAJOR', minor: 'MINOR', warning: 'WARNING', info: 'INFO' },
};

export const KIND_LABEL: Record<WebhookLanguage, Record<AlarmNotice['kind'], string>> = {
  ja: { raised: '発生', reminder: '再通知', escalated: 'エスカレーション', acknowledged: '確認済み', cleared: '解消' },
  en: { raised: 'raised', reminder: 'reminder', escalated: 'escalated', acknowledged: 'acknowledged', cleared: 'cleared' },
};

/** Field names the card formats show beside their values. */
export const FIELD_LABEL: Record<WebhookLanguage, { node: string; severity: string; kind: string; since: string; acknowledgedBy: string; dashboard: string; acknowledge: string }> = {
  ja: { node: '場所', severity: '重要度', kind: '種別', since: '発生時刻', acknowledgedBy: '確認者', dashboard: 'ダッシュボード', acknowledge: '確認する' },
  en: { node: 'Node', severity: 'Severity', kind: 'Kind', since: 'Since', acknowledgedBy: 'Acknowledged by', dashboard: 'Dashboard', acknowledge: 'Acknowledge' },
};

export type NoticeView = {
  lang: WebhookLanguage;
  severity: AlarmSeverity;
  kind: AlarmNotice['kind'];
  severityLabel: string;
  kindLabel: string;
  /** `site/node` */
  node: string;
  message: string;
  /** The alarm's start, formatted in the hub's time zone. */
  since: string;
  /** `[重大] 発生: factory/mill-1` */
  title: string;
  acknowledgedBy?: string;
  dashboardUrl?: string;
  /** Present only with includeAckUrl, and not once the alarm is acknowledged or cleared. */
  ackUrl?: string;
  labels: (typeof FIELD_LABEL)[WebhookLanguage];
};

export function formatSince(ms: number, lang: WebhookLanguage, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(new Date(ms));
}

export function noticeView(notice: AlarmNotice, options: WebhookBodyOptions = {}): NoticeView {
  const lang = options.lang ?? 'ja';
  const { alarm } = notice;
  const severityLabel = SEVERITY_LABEL[lang][alarm.severity];
  const kindLabel = KIND_LABEL[lang][notice.kind];
  const node = `${alarm.site}/${alarm.node}`;
  const ackable = notice.kind !== 'acknowledged' && notice.kind !== 'cleared';
  return {
    lang,
    severity: alarm.severity,
    kind: notice.kind,
    severityLabel,
    kindLabel,
    node,
    message: alarm.message[lang],
    since: formatSince(alarm.activeSince, lang, options.timeZone),
    title: `[${severityLabel}] ${kindLabel}: ${node}`,
    ...(notice.kind === 'acknowledged' && alarm.acknowledgedBy ? { acknowledgedBy: alarm.acknowledgedBy } : {}),
    ...(notice.dashboardUrl ? { dashboardUrl: notice.dashboardUrl } : {}),
    ...(options.includeAckUrl && notice.ackUrl && ackable ? { ackUrl: notice.ackUrl } : {}),
    labels: FIELD_LABEL[lang],
  };
}

/** A marker chat readers tell apart at a glance (colour is not in every format). */
export function severityMark(view: Pick<NoticeView, 'severity' | 'kind'>): string {
  if (view.kind === 'cleared') return '✅';
  if (view.kind === 'acknowledged') return '☑️';
  return { critical: '🔴', major: '🟠', minor: '🟡', warning: '⚠️', info: 'ℹ️' }[view.severity];
}
