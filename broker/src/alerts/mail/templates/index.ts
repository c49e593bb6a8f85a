import { en } from './en.js';
import { ja } from './ja.js';
import type { MailLanguage, MailTemplates } from './template.js';

export const MAIL_TEMPLATES: Readonly<Record<MailLanguage, MailTemplates>> = { ja, en };
export type { MailContent, MailLanguage, MailTemplates, NoticeMailInput, SummaryMailInput } from './template.js';
