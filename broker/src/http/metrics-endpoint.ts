/**
 * GET /metrics on the hub's HTTP port, answered by the hub before its front end sees the
 * request: the metrics are the hub's, so they stay out of the dashboard's data-source
 * interface, and the dashboard is only asked who the request's logged-in user is.
 *
 * Who may read: a scraper with `Authorization: Bearer <hub.metrics.token>` (only when a token
 * is configured), or an admin's dashboard session. Otherwise 401 (no or wrong credentials) or
 * 403 (a viewer or kiosk session), counted per reason and logged at most once a minute per
 * reason — never with the header's value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Now } from '@mieruka/protocol';

export const METRICS_PATH = '/metrics';

export type MetricsRefusal = 'no-credentials' | 'bad-token' | 'not-admin';

export type MetricsEndpointOptions = {
  render(): Promise<{ contentType: string; text: string }>;
  /** hub.metrics.token; undefined: bearer tokens are refused, admin sessions still work. */
  token: string | undefined;
  /** The front end's logged-in user of a request (its session cookie), if it has sessions. */
  requestUser?: (req: IncomingMessage) => Promise<{ role: 'admin' | 'viewer' } | null>;
  refused(reason: MetricsRefusal): void;
  logger: Logger;
  now: Now;
};

const LOG_EVERY_MS = 60_000;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Whether a request is for /metrics (any query string). */
export function isMetricsRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return url === METRICS_PATH || url.startsWith(`${METRICS_PATH}?`);
}

export class MetricsEndpoint {
  private readonly options: MetricsEndpointOptions;
  private readonly logger: Logger;
  /** Hashes compare in constant time whatever the lengths. */
  private readonly tokenDigest: Buffer | null;
  private readonly loggedAt = new Map<MetricsRefusal, number>();

  constructor(options: MetricsEndpointOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'metrics' });
    this.tokenDigest = options.token === undefined ? null : digest(options.token);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      this.error(res, 405, 'BAD_REQUEST', 'use GET');
      return;
    }
    this.check(req)
      .then((refusal) => {
        if (refusal !== null) return this.refuse(req, res, refusal);
        return this.options.render().then(({ contentType, text }) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', contentType);
          res.end(req.method === 'HEAD' ? undefined : text);
        });
      })
      .catch((err: unknown) => {
        this.logger.error({ err }, 'cannot collect the metrics');
        this.error(res, 500, 'INTERNAL', 'cannot collect the metrics');
      });
  }

  private async check(req: IncomingMessage): Promise<MetricsRefusal | null> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      // Explicit credentials decide on their own: a wrong token is refused even beside a session cookie.
      const match = /^Bearer +(\S+) *$/i.exec(header);
      if (!match?.[1] || !this.tokenDigest || !timingSafeEqual(digest(match[1]), this.tokenDigest)) return 'bad-token';
      return null;
    }
    const user = (await this.options.requestUser?.(req)) ?? null;
    if (!user) return 'no-credentials';
    return user.role === 'admin' ? null : 'not-admin';
  }

  private refuse(req: IncomingMessage, res: ServerResponse, reason: MetricsRefusal): void {
    this.options.refused(reason);
    const now = this.options.now();
    const last = this.loggedAt.get(reason);
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      this.loggedAt.set(reason, now);
      this.logger.warn({ reason, ip: req.socket.remoteAddress }, 'metrics request refused');
    }
    if (reason === 'not-admin') {
      this.error(res, 403, 'FORBIDDEN', 'admin only');
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="mieruka metrics"');
    this.error(res, 401, 'UNAUTHORIZED', 'send Authorization: Bearer <hub.metrics.token>, or log in as an admin');
  }

  /** The dashboard API's error shape: {error: {code, message}}. */
  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ error: { code, message } }));
  }
}
