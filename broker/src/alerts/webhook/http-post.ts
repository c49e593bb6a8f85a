/**
 * One JSON POST with a deadline (connect + response), over node:http/https with the caller's
 * agents (so stop() can drop their sockets). Never throws: the result says whether a retry
 * may help. Reasons never contain the URL (it holds the token).
 */
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

export type PostResult =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; reason: string; status?: number; retryAfterMs?: number };

export type PostOptions = {
  timeoutMs: number;
  headers?: Record<string, string>;
  agents: { http: HttpAgent; https: HttpsAgent };
  /** Lets stop() abort a request in flight. */
  signal?: AbortSignal;
};

const MAX_BODY_READ = 16 * 1024;

/** Retry-After: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function postJson(url: URL, body: string, options: PostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: PostResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const payload = Buffer.from(body, 'utf8');
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') {
      finish({ ok: false, retryable: false, reason: `unsupported URL scheme ${url.protocol} (use https:// or http://)` });
      return;
    }
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      agent: https ? options.agents.https : options.agents.http,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(payload.length),
        ...options.headers,
      },
    });
    const timer = setTimeout(() => {
      finish({ ok: false, retryable: true, reason: `did not answer within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      finish({ ok: false, retryable: true, reason: 'aborted (channel stopping)' });
      req.destroy();
    };
    options.signal?.addEventListener('abort', onAbort);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      const reason =
        code === 'ECONNREFUSED'
          ? 'connection refused (ECONNREFUSED)'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `host not found (${code})`
            : code.startsWith('ERR_TLS') || code.includes('CERT')
              ? `TLS error (${code})`
              : `connection failed (${code})`;
      finish({ ok: false, retryable: true, reason });
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        // Drained so the socket can be reused; never logged (it may echo the request).
        read += chunk.length;
        if (read > MAX_BODY_READ) res.destroy();
      });
      res.on('error', () => undefined);
      const status = res.statusCode ?? 0;
      const settle = () => {
        if (status >= 200 && status < 300) return finish({ ok: true, status });
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        const retryable = status >= 500 || status === 429 || status === 408;
        const hint = status === 404 || status === 410 ? ' (not retried: check the webhook URL)' : status === 401 || status === 403 ? ' (not retried: the token is refused)' : retryable ? '' : ' (not retried)';
        finish({ ok: false, retryable, status, reason: `HTTP ${status}${hint}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      };
      res.on('end', settle);
      res.on('close', settle);
    });
    req.end(payload);
  });
}
