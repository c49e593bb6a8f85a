/** English mail texts. */
import type { AlarmSeverity } from '../../channel.js';
import { htmlMail, textLines, type MailTemplates, type NoticeMailInput } from './template.js';

const SEVERITY: Record<AlarmSeverity, string> = { critical: 'Critical', major: 'Major', minor: 'Minor', warning: 'Warning', info: 'Info' };
const KIND = { raised: 'New alarm', reminder: 'Reminder', escalated: 'Escalated', acknowledged: 'Acknowledged', cleared: 'Cleared' } as const;
const FOOTER = 'Sent automatically by Mieruka.';

function state(input: NoticeMailInput): string {
  const a = input.notice.alarm;
  return `${a.active ? 'active' : 'cleared'}, ${a.acknowledged ? `acknowledged${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}` : 'not acknowledged'}`;
}

export const en: MailTemplates = {
  notice(input) {
    const { notice } = input;
    const a = notice.alarm;
    const kind = KIND[notice.kind];
    const subject = `[Mieruka] [${SEVERITY[a.severity]}] ${kind}: ${a.message.en}`;
    const intro =
      notice.kind === 'escalated'
        ? 'Nobody has acknowledged this alarm in time, so the escalation list is told as well.'
        : notice.kind === 'reminder'
          ? 'This alarm is still not acknowledged.'
          : undefined;
    const facts: Array<[string, string | undefined]> = [
      ['What', `${kind} (${SEVERITY[a.severity]})`],
      ['Machine or station', `${input.nodeName} (${a.site}/${a.node})`],
      ['Since', input.since],
      ['Cleared', input.clearedAt],
      ['State', state(input)],
    ];
    const links: Array<[string, string | undefined]> = [
      ['Dashboard', input.dashboardUrl],
      ['Acknowledge', input.ackUrl],
      ['Link valid until', input.ackUrl ? input.ackExpires : undefined],
    ];
    const text = [a.message.en, intro, '', textLines(facts), '', textLines(links), '', '-- ', FOOTER]
      .filter((l) => l !== undefined)
      .join('\n')
      .replace(/\n{3,}/g, '\n\n');
    const html = htmlMail({
      lang: 'en',
      title: subject,
      heading: a.message.en,
      rows: [...(intro ? ([['', intro]] as Array<[string, string]>) : []), ...facts.filter((r): r is [string, string] => r[1] !== undefined)],
      links: [
        ...(input.ackUrl ? [{ label: 'Acknowledge', href: input.ackUrl }] : []),
        ...(input.dashboardUrl ? [{ label: 'Open the dashboard', href: input.dashboardUrl }] : []),
      ],
      footer: FOOTER,
    });
    return { subject, text, html };
  },

  summary(input) {
    const subject = `[Mieruka] Summary of ${input.subjects.length} notifications`;
    const intro = `The hourly mail limit was reached, so these ${input.subjects.length} notifications come in one mail.`;
    const text = [intro, '', ...input.subjects.map((s) => `- ${s}`), '', ...(input.dashboardUrl ? [`Dashboard: ${input.dashboardUrl}`, ''] : []), '-- ', FOOTER].join('\n');
    const html = htmlMail({
      lang: 'en',
      title: subject,
      heading: intro,
      rows: input.subjects.map((s, i) => [`${i + 1}`, s]),
      links: input.dashboardUrl ? [{ label: 'Open the dashboard', href: input.dashboardUrl }] : [],
      footer: FOOTER,
    });
    return { subject, text, html };
  },
};
