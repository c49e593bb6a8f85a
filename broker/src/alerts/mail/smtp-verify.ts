/**
 * Connects and logs in to the configured SMTP server without sending anything (nodemailer's
 * verify): the installation check of the mail channel (`mieruka doctor`).
 */
import { transportOptions, type SmtpSettings } from './smtp-settings.js';

export type SmtpVerifyResult =
  | { ok: true }
  /** auth: refused the login; tls: TLS failed; unreachable: no connection or no greeting. */
  | { ok: false; kind: 'auth' | 'tls' | 'unreachable' | 'other'; message: string };

export async function verifySmtp(settings: SmtpSettings): Promise<SmtpVerifyResult> {
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(transportOptions(settings));
  try {
    await transport.verify();
    return { ok: true };
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number };
    const message = e.message.replace(/\s+/g, ' ').trim();
    if (e.code === 'EAUTH' || e.responseCode === 535) return { ok: false, kind: 'auth', message };
    if (e.code === 'ETLS' || /certificate|ssl|tls/i.test(message)) return { ok: false, kind: 'tls', message };
    if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || e.code === 'EDNS') return { ok: false, kind: 'unreachable', message };
    return { ok: false, kind: 'other', message };
  } finally {
    transport.close();
  }
}
