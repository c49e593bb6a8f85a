/**
 * The JSON a webhook receives: a `text` field that Slack, Mattermost, Rocket.Chat, Discord-
 * compatible bridges and Teams' legacy incoming webhooks show as is, plus the structured alarm
 * under `mieruka` for anything that wants to parse it (Node-RED, n8n, Power Automate).
 */
import { MIERUKA_VERSION } from '@mieruka/protocol';
import type { AlarmNotice, AlarmSeverity } from '../channel.js';

export type WebhookLanguage = 'ja' | 'en';

export type WebhookBodyOptions = {
  lang?: WebhookLanguage;
  /** The signed acknowledge link gives anyone in the chat room the power to acknowledge. */
  includeAckUrl?: boolean;
  /** IANA time zone for the text (default: the system's). */
  timeZone?: string;
};

const SEVERITY_LABEL: Record<WebhookLanguage, Record<AlarmSeverity, string>> = {
  ja: { critical: '重大', major: '重要', minor: '軽微', warning: '警告', info: '情報' },
  en: { critical: 'CRITICAL', major: 'MAJOR', minor: 'MINOR', warning: 'WARNING', info: 'INFO' },
};

const KIND_LABEL: Record<WebhookLanguage, Record<AlarmNotice['kind'], string>> = {
  ja: { raised: '発生', reminder: '再通知', escalated: 'エスカレーション', acknowledged: '確認済み', cleared: '解消' },
  en: { raised: 'raised', reminder: 'reminder', escalated: 'escalated', acknowledged: 'acknowledged', cleared: 'cleared' },
};

const SINCE: Record<WebhookLanguage, (t: string) => string> = { ja: (t) => `${t} から`, en: (t) => `since ${t}` };

function formatTime(ms: number, lang: WebhookLanguage, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(new Date(ms));
}

export function webhookText(notice: AlarmNotice, options: WebhookBodyOptions = {}): string {
  const lang = options.lang ?? 'ja';
  const { alarm } = notice;
  const lines = [
    `[${SEVERITY_LABEL[lang][alarm.severity]}] ${KIND_LABEL[lang][notice.kind]}: ${alarm.site}/${alarm.node} — ${alarm.message[lang]} (${SINCE[lang](formatTime(alarm.activeSince, lang, options.timeZone))})`,
  ];
  if (notice.kind === 'acknowledged' && alarm.acknowledgedBy) lines.push(lang === 'ja' ? `確認者: ${alarm.acknowledgedBy}` : `acknowledged by ${alarm.acknowledgedBy}`);
  if (notice.dashboardUrl) lines.push(`${lang === 'ja' ? 'ダッシュボード' : 'Dashboard'}: ${notice.dashboardUrl}`);
  if (options.includeAckUrl && notice.ackUrl && notice.kind !== 'acknowledged' && notice.kind !== 'cleared') lines.push(`${lang === 'ja' ? '確認する' : 'Acknowledge'}: ${notice.ackUrl}`);
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
