/** The webhook body per `alerts.webhooks[].format`: pure functions from a notice to JSON. */
import type { WebhookFormat } from '@mieruka/protocol';
import type { AlarmNotice } from '../../channel.js';
import { webhookBody } from '../webhook-body.js';
import { googleChatBody } from './google-chat.js';
import { lineWorksBody } from './line-works.js';
import type { WebhookBodyOptions } from './notice-view.js';
import { slackBody } from './slack.js';
import { teamsBody } from './teams.js';

export type { WebhookFormat };

const FORMATS: Record<WebhookFormat, (notice: AlarmNotice, options: WebhookBodyOptions) => Record<string, unknown>> = {
  generic: webhookBody,
  slack: slackBody,
  teams: teamsBody,
  'google-chat': googleChatBody,
  'line-works': lineWorksBody,
};

export function webhookPayload(format: WebhookFormat, notice: AlarmNotice, options: WebhookBodyOptions = {}): Record<string, unknown> {
  return FORMATS[format](notice, options);
}
