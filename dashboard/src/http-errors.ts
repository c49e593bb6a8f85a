/**
 * The one place where error codes become HTTP status codes, and where every error response
 * body is shaped: `{error: {code, message}}`, never a stack trace.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ERROR_CODES, isMierukaError, type ErrorCode } from '@mieruka/protocol';

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

export function sendError(res: Response, code: HttpErrorCode, message?: string, status?: number): void {
  const body: ErrorBody = { error: { code, message: message ?? (code === 'INTERNAL' ? 'internal error' : ERROR_CODES[code]) } };
  res.status(status ?? httpStatusFor(code)).json(body);
}

/** An error response with extra fields next to code and message (validation issues, the current version). */
export function sendErrorWithDetails(res: Response, code: HttpErrorCode, message: string, details: Record<string, unknown>): void {
  res.status(httpStatusFor(code)).json({ error: { ...details, code, message } });
}

/**
 * Errors raised by express itself (body parser, static files) carry a 4xx `status` and,
 * for the body parser, a `type`; they are the client's fault and keep their status.
 */
function clientError(err: unknown): { status: number; code: HttpErrorCode; message: string } | null {
  if (typeof err !== 'object' || err === null) return null;
  const { type, status } = err as { type?: unknown; status?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (type === 'entity.too.large') return { status: 413, code: 'BAD_REQUEST', message: 'request body is too large' };
  if (type === 'entity.parse.failed') return { status: 400, code: 'BAD_REQUEST', message: 'request body is not valid JSON' };
  if (status === 404) return { status, code: 'NOT_FOUND', message: ERROR_CODES.NOT_FOUND };
  return { status, code: 'BAD_REQUEST', message: 'request cannot be handled' };
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
      sendError(res, err.code, err.message);
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
