/**
 * What a receiver's 2xx answer means. The Apps Script receiver (docs/sheets/) cannot set an
 * HTTP status, so it answers JSON `{ok, duplicate, error, retry}`; other receivers may answer
 * anything, and a 2xx that is not that JSON counts as delivered. One exception: a web page
 * reached through a redirect is Google's sign-in or error page, not a stored row.
 */
import type { PostResult } from '../alerts/webhook/index.js';

export type WebhookAnswer =
  | { delivered: true; duplicate: boolean }
  | { delivered: false; retryable: boolean; reason: string; retryAfterMs?: number };

/** A receiver's error text, made safe for a log line. */
function clean(value: unknown): string {
  return String(value)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .slice(0, 120);
}

export function readWebhookAnswer(result: Extract<PostResult, { ok: true }>): WebhookAnswer {
  if (result.redirects > 0 && /text\/html/i.test(result.contentType)) {
    return {
      delivered: false,
      retryable: false,
      reason: 'answered with a web page after a redirect (not retried: an Apps Script web app must be deployed with access "Anyone")',
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.text);
  } catch {
    return { delivered: true, duplicate: false };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { delivered: true, duplicate: false };
  const answer = parsed as { ok?: unknown; duplicate?: unknown; error?: unknown; retry?: unknown };
  if (answer.ok === false) {
    const retryable = answer.retry === true;
    return { delivered: false, retryable, reason: `the receiver refused the score: ${clean(answer.error ?? 'no reason given')}${retryable ? '' : ' (not retried)'}` };
  }
  return { delivered: true, duplicate: answer.duplicate === true };
}
