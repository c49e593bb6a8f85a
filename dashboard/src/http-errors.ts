/**
 * The one place where error codes become HTTP status codes, and where every error response
 * body is shaped: `{error: {code, message}}`, never a stack trace. The message is in the
 * request's language (request-language.ts); the code stays the same in every language.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ERROR_CODES, ERROR_CODES_JA, isMierukaError, type ErrorCode } from '@mieruka/protocol';
import { localize, requestLanguage, type Lang, type Localized } from './request-language.js';

/** Codes the HTTP layer may answer with: the catalogue plus a catch-all for bugs. */
export type HttpErrorCode = ErrorCode | 'INTERNAL';

export const HTTP_STATUS: Readonly<Record<HttpErrorCode, number>> = {
  CONFIG_INVALID: 500,
  CONFIG_UNREADABLE: 500,
  PAYLOAD_INVALID: 400,
  TOPIC_INVALID: 400,
  SERIAL_LINE_INVALID: 400,
  SERIAL_PORT_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  RATE_LIMITED: 429,
  STORE_FAILED: 503,
  IMAGE_INVALID: 422,
  CAMERA_UNAVAILABLE: 503,
  DEPENDENCY_MISSING: 503,
  // An alert device or service behind the hub failed: a gateway error, not the client's fault.
  PATLITE_TIMEOUT: 504,
  PATLITE_NAK: 502,
  PATLITE_BAD_REPLY: 502,
  PATLITE_CONNECTION_FAILED: 502,
  WEBHOOK_FAILED: 502,
  SETTINGS_INVALID: 400,
  CONFLICT: 409,
  CSRF_FAILED: 403,
  TLS_UNTRUSTED: 502,
  INTERNAL: 500,
};

export type ErrorBody = { error: { code: HttpErrorCode; message: string } };

export function httpStatusFor(code: HttpErrorCode): number {
  return HTTP_STATUS[code];
}

/** The catalogue's text for a code, in either language. */
export function catalogueMessage(code: HttpErrorCode): Localized {
  if (code === 'INTERNAL') return { en: 'internal error', ja: 'サーバー内部のエラー' };
  return { en: ERROR_CODES[code], ja: ERROR_CODES_JA[code] };
}

/**
 * The message for this response's request. A plain string is an English detail from deeper
 * down (a hub error); Japanese readers get the catalogue text with that detail after it.
 */
export function errorMessage(res: Response, code: HttpErrorCode, message?: string | Localized): string {
  const lang: Lang = requestLanguage(res.req);
  if (message === undefined) return localize(catalogueMessage(code), lang);
  if (typeof message === 'string' && lang === 'ja') return `${catalogueMessage(code).ja}: ${message}`;
  return localize(message, lang);
}

export function sendError(res: Response, code: HttpErrorCode, message?: string | Localized, status?: number): void {
  const body: ErrorBody = { error: { code, message: errorMessage(res, code, message) } };
  res.status(status ?? httpStatusFor(code)).json(body);
}

/** An error response with extra fields next to code and message (validation issues, the current version). */
export function sendErrorWithDetails(res: Response, code: HttpErrorCode, message: string | Localized, details: Record<string, unknown>): void {
  res.status(httpStatusFor(code)).json({ error: { ...details, code, message: errorMessage(res, code, message) } });
}

/**
 * Errors raised by express itself (body parser, static files) carry a 4xx `status` and,
 * for the body parser, a `type`; they are the client's fault and keep their status.
 */
function clientError(err: unknown): { status: number; code: HttpErrorCode; message: Localized } | null {
  if (typeof err !== 'object' || err === null) return null;
  const { type, status } = err as { type?: unknown; status?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (type === 'entity.too.large') return { status: 413, code: 'BAD_REQUEST', message: { en: 'request body is too large', ja: 'リクエスト本文が大きすぎます' } };
  if (type === 'entity.parse.failed') return { status: 400, code: 'BAD_REQUEST', message: { en: 'request body is not valid JSON', ja: 'リクエスト本文が正しい JSON ではありません' } };
  if (status === 404) return { status, code: 'NOT_FOUND', message: catalogueMessage('NOT_FOUND') };
  return { status, code: 'BAD_REQUEST', message: { en: 'request cannot be handled', ja: 'このリクエストは処理できません' } };
}

/** Final express error handler: known errors keep their code, anything else is logged as a bug. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      // Too late for a JSON body; drop the connection so the client sees a failure.
      res.destroy();
      return;
    }
    if (isMierukaError(err)) {
      const status = httpStatusFor(err.code);
      if (status >= 500) logger.error({ err, path: req.path }, 'request failed');
      // The catalogue's own text is translated; a specific detail is kept after it.
      sendError(res, err.code, err.message === ERROR_CODES[err.code] ? undefined : err.message);
      return;
    }
    const client = clientError(err);
    if (client) {
      sendError(res, client.code, client.message, client.status);
      return;
    }
    logger.error({ err, path: req.path }, 'unexpected error in request');
    sendError(res, 'INTERNAL');
  };
}
