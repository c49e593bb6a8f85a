/**
 * Brute-force brake for POST /api/login and POST /api/kiosk/session (one shared counter):
 * only failed attempts count (a correct password does not use up the budget), per client IP
 * (req.ip, which follows the `trustProxy` setting).
 */
import type { RequestHandler } from 'express';
import { MemoryStore, rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { sendError } from './http-errors.js';

export type LoginRateLimitOptions = { windowMs?: number; limit?: number };

export type LoginRateLimit = { middleware: RequestHandler; close(): void };

export function createLoginRateLimit(logger: Logger, options: LoginRateLimitOptions = {}): LoginRateLimit {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs,
    limit: options.limit ?? 10,
    store,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // app.ts warns about a permissive trustProxy itself, once, in the hub's log instead of on stderr.
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (req, res) => {
      logger.warn({ ip: req.ip }, 'login rate limit reached');
      res.setHeader('Retry-After', String(Math.ceil(windowMs / 1000)));
      sendError(res, 'RATE_LIMITED', { en: 'too many failed logins; try again later', ja: 'ログインの失敗が多すぎます。しばらくしてから再度お試しください' });
    },
  });
  // The memory store keeps a (unref'd) reset timer; shutdown() releases it.
  return { middleware, close: () => store.shutdown() };
}
