/**
 * Signed, expiring acknowledge links: `<alarmId>.<expiry base36>.<HMAC-SHA256 base64url>`,
 * the MAC over the alarm id and the expiry. Checked in constant time; the signature is checked
 * before the expiry, so "expired" is only ever said of a genuine link.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALARM_ID = /^[A-Za-z0-9-]{1,64}$/;
const EXPIRY = /^[0-9a-z]{1,12}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

export type AckTokenCheck = { ok: true; alarmId: string; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

function mac(secret: Buffer, alarmId: string, expiry: string): Buffer {
  // A context prefix keeps this MAC from being valid for anything else signed with the secret.
  return createHmac('sha256', secret).update(`mieruka-ack-v1:${alarmId}.${expiry}`).digest();
}

export function signAckToken(secret: Buffer, alarmId: string, expiresAt: number): string {
  if (!ALARM_ID.test(alarmId)) throw new RangeError('alarm id must be 1–64 letters, digits or "-"');
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new RangeError('expiresAt must be epoch milliseconds');
  const expiry = expiresAt.toString(36);
  return `${alarmId}.${expiry}.${mac(secret, alarmId, expiry).toString('base64url')}`;
}

export function verifyAckToken(secret: Buffer, token: string, now: number): AckTokenCheck {
  if (typeof token !== 'string' || token.length > 200) return { ok: false, reason: 'invalid' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'invalid' };
  const [alarmId, expiry, signature] = parts as [string, string, string];
  if (!ALARM_ID.test(alarmId) || !EXPIRY.test(expiry) || !SIGNATURE.test(signature)) return { ok: false, reason: 'invalid' };
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical encoding is accepted: the last base64 character carries unused low
  // bits, so without this a link with that character changed would still verify.
  if (given.toString('base64url') !== signature) return { ok: false, reason: 'invalid' };
  const expected = mac(secret, alarmId, expiry);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  const expiresAt = parseInt(expiry, 36);
  if (!(now < expiresAt)) return { ok: false, reason: 'expired' };
  return { ok: true, alarmId, expiresAt };
}
