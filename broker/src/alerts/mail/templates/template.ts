/** What a mail template gets and gives, and the HTML helpers both languages share. */
import type { AlarmNotice } from '../../channel.js';

export type MailLanguage = 'ja' | 'en';
export type MailContent = { subject: string; text: string; html: string };

export type NoticeMailInput = {
  notice: AlarmNotice;
  /** Display name of the machine or station. */
  nodeName: string;
  /** Local wall time of activeSince (and clearedAt), already formatted, with the zone. */
  since: string;
  clearedAt?: string;
  /** Links, absent when the hub has no publicUrl. The ack link only while unacknowledged. */
  dashboardUrl?: string;
  ackUrl?: string;
  ackExpires?: string;
};

export type SummaryMailInput = {
  /** Subjects of the held notifications, oldest first. */
  subjects: string[];
  dashboardUrl?: string;
};

export type MailTemplates = {
  notice(input: NoticeMailInput): MailContent;
  summary(input: SummaryMailInput): MailContent;
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A plain, mobile-friendly HTML body: heading, a table of facts, links as buttons. */
export function htmlMail(options: {
  lang: MailLanguage;
  title: string;
  heading: string;
  rows: Array<[string, string]>;
  links: Array<{ label: string; href: string }>;
  footer: string;
}): string {
  const rows = options.rows.map(([k, v]) => `<tr><th style="text-align:left;padding:4px 12px 4px 0;color:#555">${escapeHtml(k)}</th><td style="padding:4px 0">${escapeHtml(v)}</td></tr>`).join('\n');
  const links = options.links
    .map((l) => `<p><a href="${escapeHtml(l.href)}" style="display:inline-block;padding:10px 18px;background:#1f6feb;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(l.label)}</a></p>`)
    .join('\n');
  return `<!doctype html>
<html lang="${options.lang}">
<head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title></head>
<body style="font-family:sans-serif;line-height:1.5">
<h2 style="margin:0 0 12px">${escapeHtml(options.heading)}</h2>
<table>
${rows}
</table>
${links}
<p style="color:#888;font-size:small">${escapeHtml(options.footer)}</p>
</body>
</html>
`;
}

/** `text` lines of `label: value`, skipping absent values. */
export function textLines(rows: Array<[string, string | undefined]>): string {
  return rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}
