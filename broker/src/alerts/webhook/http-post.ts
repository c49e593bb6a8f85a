/**
 * One JSON POST with a deadline (connect + response, redirects included), over node:http/https
 * with the caller's agents (so stop() can drop their sockets). Never throws: the result says
 * whether a retry may help. Reasons never contain a URL (the first holds the token; a
 * redirect's Location may hold another).
 */
import { request as httpRequest, type Agent as HttpAgent, type ClientRequest } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

export type PostResult =
  | {
      ok: true;
      status: number;
      /** Hops followed before the answer (an Apps Script web app: 1). */
      redirects: number;
      /** The answer's content type and first 16 KiB of its body (never logged: it may echo the request). */
      contentType: string;
      text: string;
    }
  | { ok: false; retryable: boolean; reason: string; status?: number; retryAfterMs?: number };

export type PostOptions = {
  timeoutMs: number;
  headers?: Record<string, string>;
  agents: { http: HttpAgent; https: HttpsAgent };
  /** Lets stop() abort a request in flight. */
  signal?: AbortSignal;
  /**
   * 30x answers followed (301/302/303 → GET without body, 307/308 → the POST again), only to
   * http(s) and never from https down to http. Default 0: a 30x is a failure.
   */
  maxRedirects?: number;
};

const MAX_BODY_READ = 16 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Retry-After: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type Fail = Extract<PostResult, { ok: false }>;

/** Where a redirect leads, or why it is not followed. */
function refuseRedirect(from: URL, location: string | undefined): { next: URL } | { reason: string } {
  if (!location) return { reason: 'redirect without a Location (not retried)' };
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { reason: 'redirect to an invalid URL (not retried)' };
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    return { reason: `redirect to an unsupported URL scheme ${next.protocol.slice(0, 16)} (not retried)` };
  }
  if (from.protocol === 'https:' && next.protocol === 'http:') return { reason: 'redirect from https to http refused (not retried)' };
  return { next };
}

export function postJson(url: URL, body: string, options: PostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    let done = false;
    let req: ClientRequest | null = null;
    const finish = (result: PostResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const fail = (result: Omit<Fail, 'ok'>) => finish({ ok: false, ...result });
    const payload = Buffer.from(body, 'utf8');
    const maxRedirects = options.maxRedirects ?? 0;
    const timer = setTimeout(() => {
      fail({ retryable: true, reason: `did not answer within ${options.timeoutMs} ms` });
      req?.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      fail({ retryable: true, reason: 'aborted (channel stopping)' });
      req?.destroy();
    };
    options.signal?.addEventListener('abort', onAbort);

    const send = (target: URL, method: 'POST' | 'GET', hops: number, headers: Record<string, string>) => {
      const https = target.protocol === 'https:';
      if (!https && target.protocol !== 'http:') {
        fail({ retryable: false, reason: `unsupported URL scheme ${target.protocol} (use https:// or http://)` });
        return;
      }
      const request = (https ? httpsRequest : httpRequest)(target, {
        method,
        agent: https ? options.agents.https : options.agents.http,
        headers:
          method === 'POST'
            ? { 'content-type': 'application/json; charset=utf-8', 'content-length': String(payload.length), ...headers }
            : headers,
      });
      req = request;
      request.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'error';
        const reason =
          code === 'ECONNREFUSED'
            ? 'connection refused (ECONNREFUSED)'
            : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
              ? `host not found (${code})`
              : code.startsWith('ERR_TLS') || code.includes('CERT')
                ? `TLS error (${code})`
                : `connection failed (${code})`;
        fail({ retryable: true, reason });
      });
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          // Drained so the socket can be reused; kept for the caller, never logged.
          read += chunk.length;
          if (read > MAX_BODY_READ) res.destroy();
          else chunks.push(chunk);
        });
        res.on('error', () => undefined);
        const status = res.statusCode ?? 0;
        let settled = false;
        const settle = () => {
          if (settled || done) return;
          settled = true;
          if (status >= 200 && status < 300) {
            const contentType = String(res.headers['content-type'] ?? '');
            return finish({ ok: true, status, redirects: hops, contentType, text: Buffer.concat(chunks).toString('utf8') });
          }
          if (REDIRECTS.has(status) && maxRedirects > 0) {
            if (hops >= maxRedirects) return fail({ retryable: false, status, reason: `too many redirects (more than ${maxRedirects}; not retried)` });
            const verdict = refuseRedirect(target, res.headers.location);
            if ('reason' in verdict) return fail({ retryable: false, status, reason: verdict.reason });
            // Headers the caller added may hold a token: they go to the same origin only.
            const nextHeaders = verdict.next.origin === target.origin ? headers : {};
            const keepMethod = status === 307 || status === 308;
            return send(verdict.next, keepMethod ? method : 'GET', hops + 1, nextHeaders);
          }
          const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
          const retryable = status >= 500 || status === 429 || status === 408;
          const hint = status === 404 || status === 410 ? ' (not retried: check the webhook URL)' : status === 401 || status === 403 ? ' (not retried: the token is refused)' : retryable ? '' : ' (not retried)';
          fail({ retryable, status, reason: `HTTP ${status}${hint}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
        };
        res.on('end', settle);
        res.on('close', settle);
      });
      if (method === 'POST') request.end(payload);
      else request.end();
    };
    send(url, 'POST', 0, options.headers ?? {});
  });
}
