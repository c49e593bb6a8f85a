/** Who gets which notice: first recipients, then the escalation list once an alarm was escalated. */
import type { Config } from '@mieruka/protocol';
import type { AlarmNotice } from '../channel.js';
import type { MailLanguage } from './templates/index.js';

export type MailRecipient = { address: string; language: MailLanguage };
export type RecipientLists = { default: readonly MailRecipient[]; escalation: readonly MailRecipient[] };
type ConfiguredRecipient = string | { address: string; language?: MailLanguage | undefined };

export function normalizeRecipients(list: readonly ConfiguredRecipient[], language: MailLanguage): MailRecipient[] {
  return list.map((r) => (typeof r === 'string' ? { address: r, language } : { address: r.address, language: r.language ?? language }));
}

function union(...lists: ReadonlyArray<readonly MailRecipient[]>): MailRecipient[] {
  const seen = new Set<string>();
  const out: MailRecipient[] = [];
  for (const r of lists.flat()) {
    const key = r.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

export function recipientsFor(notice: Pick<AlarmNotice, 'kind' | 'level'>, lists: RecipientLists): MailRecipient[] {
  // With no first recipients, the escalation list is the only one there is.
  const first = lists.default.length > 0 ? lists.default : lists.escalation;
  const level = notice.level ?? 0;
  switch (notice.kind) {
    case 'raised':
      return union(first);
    case 'escalated':
      return union(lists.escalation);
    case 'reminder':
    case 'acknowledged':
    case 'cleared':
      return level >= 1 ? union(lists.default, lists.escalation) : union(first);
  }
}

/** The recipient lists of a config, each address with its mail language (alerts.language, else the dashboard's). */
export function recipientListsOf(config: Readonly<Config>): RecipientLists {
  const language = config.alerts.language ?? config.dashboard.language;
  return {
    default: normalizeRecipients(config.alerts.recipients.default, language),
    escalation: normalizeRecipients(config.alerts.recipients.escalation, language),
  };
}
