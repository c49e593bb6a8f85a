/**
 * Brute-force brake for POST /api/login: only failed attempts count (a correct password
 * does not use up the budget), per client IP.
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
    handler: (req, res) => {
      logger.warn({ ip: req.ip }, 'login rate limit reached');
      res.setHeader('Retry-After', String(Math.ceil(windowMs / 1000)));
      sendError(res, 'RATE_LIMITED', 'too many failed logins; try again later');
    },
  });
  // The memory store keeps a (unref'd) reset timer; shutdown() releases it.
  return { middleware, close: () => store.shutdown() };
}
