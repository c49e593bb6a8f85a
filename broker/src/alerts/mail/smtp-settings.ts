/** SMTP settings from the config, and the nodemailer transport options they mean. */
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Config } from '@mieruka/protocol';

export type SmtpSettings = {
  host: string;
  port: number;
  /** TLS from the first byte (465); otherwise plain, upgraded with STARTTLS. */
  secure: boolean;
  /** Without `secure`: refuse to send unless STARTTLS succeeds. */
  requireTLS: boolean;
  rejectUnauthorized: boolean;
  user?: string;
  password?: string;
  from: string;
  timeoutMs: number;
};

/** null when no SMTP host is configured (mail off). */
export function smtpSettings(smtp: Config['alerts']['smtp']): SmtpSettings | null {
  if (!smtp.host) return null;
  const from = smtp.from ?? (smtp.user?.includes('@') ? smtp.user : `mieruka@${smtp.host}`);
  return {
    host: smtp.host,
    port: smtp.port ?? (smtp.secure ? 465 : 587),
    secure: smtp.secure,
    requireTLS: smtp.requireTLS,
    rejectUnauthorized: smtp.rejectUnauthorized,
    ...(smtp.user === undefined ? {} : { user: smtp.user }),
    ...(smtp.password === undefined ? {} : { password: smtp.password }),
    from,
    timeoutMs: smtp.timeoutS * 1000,
  };
}

export function transportOptions(s: SmtpSettings): SMTPTransport.Options {
  return {
    host: s.host,
    port: s.port,
    secure: s.secure,
    requireTLS: !s.secure && s.requireTLS,
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
    tls: { rejectUnauthorized: s.rejectUnauthorized },
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
    // One connection per mail: alarms are rare, and no idle socket outlives a send.
    pool: false,
  };
}

/** The domain of the sender address, for stable Message-IDs. */
export function senderDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return m?.[1] ?? 'mieruka.local';
}
