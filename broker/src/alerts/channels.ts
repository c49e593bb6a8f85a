/**
 * The alert channels the hub runs, made from the config: mail, PATLITE signal towers and
 * webhooks (./mail, ./patlite, ./webhook). Constructing a channel does no I/O; the Alerts service starts and stops them.
 */
import type { Logger } from 'pino';
import type { SqlStore } from '../store/sql/sql-store.js';
import type { Config } from '@mieruka/protocol';
import type { AlertChannel } from './channel.js';
import { MailChannel, type MailChannelOptions } from './mail/mail-channel.js';
import { createPatliteChannel } from './patlite/create-patlite-channel.js';
import type { CommandPublisher } from './patlite/relay-tower-driver.js';
import { WebhookChannel } from './webhook/webhook-channel.js';
import { recipientListsOf } from './mail/recipients.js';
import { smtpSettings } from './mail/smtp-settings.js';
import { nodeNamer } from './rules/node-name.js';
import { WorkCalendar } from './rules/work-calendar.js';

export type AlertChannelDeps = {
  /** The hub's open store (the mail queue lives there); called at channel start. */
  sql: () => SqlStore;
  logger: Logger;
  now?: () => number;
  /** Mail tuning (tests): back-off and poll interval. */
  mail?: Pick<MailChannelOptions, 'retry' | 'pollMs'>;
  /** Publishes `cmd/patlite` as the hub (relay towers); resolved when a tower needs it. */
  publish?: CommandPublisher;
  /** The node's last known online state (relay towers). */
  isOnline?: (site: string, node: string) => boolean | undefined;
};

/** The dashboard base URL without a trailing slash, or null. */
export function publicBaseUrl(config: Readonly<Config>): string | null {
  return config.alerts.publicUrl ? config.alerts.publicUrl.replace(/\/+$/, '') : null;
}

export function createMailChannel(config: Readonly<Config>, deps: AlertChannelDeps): MailChannel | null {
  const smtp = smtpSettings(config.alerts.smtp);
  if (!smtp) return null;
  // Made whenever SMTP is configured, even with no recipients yet: an admin may add them at run time.
  const recipients = recipientListsOf(config);
  const calendar = new WorkCalendar({ timeZone: config.timezone, shifts: [] });
  const base = publicBaseUrl(config);
  return new MailChannel({
    sql: deps.sql,
    smtp,
    recipients,
    perRecipientPerHour: config.alerts.rateLimit.perRecipientPerHour,
    formatTime: (t) => `${calendar.format(t)} (${config.timezone})`,
    nodeName: nodeNamer(config),
    ...(base ? { dashboardUrl: `${base}/` } : {}),
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.mail?.retry ? { retry: deps.mail.retry } : {}),
    ...(deps.mail?.pollMs ? { pollMs: deps.mail.pollMs } : {}),
  });
}

export function createAlertChannels(config: Readonly<Config>, deps: AlertChannelDeps): AlertChannel[] {
  const channels: AlertChannel[] = [];

  const mail = createMailChannel(config, deps);
  if (mail) channels.push(mail);

  // PATLITE signal towers: PNS over TCP, or a GPIO relay board on an edge agent (cmd/patlite).
  for (const tower of config.alerts.towers) {
    channels.push(
      createPatliteChannel(tower, {
        site: config.site,
        logger: deps.logger,
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.publish ? { publish: deps.publish } : {}),
        ...(deps.isOnline ? { isOnline: deps.isOnline } : {}),
      }),
    );
  }

  // Webhooks (Slack/Teams-compatible JSON): one channel, one queue per target.
  if (config.alerts.webhooks.length > 0) {
    channels.push(new WebhookChannel({ targets: config.alerts.webhooks, timeZone: config.timezone, logger: deps.logger }));
  }

  return channels;
}
