/** The SMTP check against the real SMTP peer of the mail tests: login accepted, refused, server down. Nothing is sent. */
import { afterEach, describe, expect, it } from 'vitest';
import { SMTP_PASSWORD, SMTP_USER, startSmtpPeer } from '../../../broker/src/test-support/smtp-peer.js';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { smtpCheck } from './smtp-check.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

// The peer offers STARTTLS with a self-signed certificate, like an in-house relay.
const smtp = (port: number, password: string) => ({ alerts: { smtp: { host: '127.0.0.1', port, user: SMTP_USER, password, rejectUnauthorized: false, timeoutS: 5 } } });

describe('smtp check', () => {
  it('is ok when the login is accepted, and sends no mail', async () => {
    const peer = await startSmtpPeer();
    cleanups.push(() => peer.close());
    const out = await smtpCheck.run(doctorContext(smtp(peer.port, SMTP_PASSWORD)), neverAborted);
    expect(out).toMatchObject({ status: 'ok', message: { en: `127.0.0.1:${peer.port}: login as ${SMTP_USER} accepted` } });
    expect(peer.received).toEqual([]);
  });

  it('fails "login refused" with a wrong password, without showing it', async () => {
    const peer = await startSmtpPeer();
    cleanups.push(() => peer.close());
    const out = await smtpCheck.run(doctorContext(smtp(peer.port, 'wrong-password-9')), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain(`login as ${SMTP_USER} refused`);
    expect(JSON.stringify(out)).not.toContain('wrong-password-9');
    expect(out.fix?.en).toContain('alerts.smtp.password');
  });

  it('fails "cannot reach" when the server is down', async () => {
    const peer = await startSmtpPeer();
    const port = peer.port;
    await peer.close();
    const out = await smtpCheck.run(doctorContext(smtp(port, SMTP_PASSWORD)), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('cannot reach the mail server');
  });

  it('skips without alerts.smtp.host', async () => {
    expect((await smtpCheck.run(doctorContext({}), neverAborted)).status).toBe('skip');
  });
});
