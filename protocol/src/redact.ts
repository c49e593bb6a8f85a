/**
 * Masking secrets before anything is printed or logged: the one implementation. Callers mask
 * what they know to be secret (redactConfig, the URL in a banner); the CLI's logger passes
 * every line through `redactDeep` as a safety net behind them.
 */

/** `scheme://user:pass@` (and `scheme://token@`) in any text. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@?#]+@/gi;
/** `password=…`, `token=…` and the like in a query string or a `key=value` message. */
const KEY_VALUE_SECRET = /\b(pass(?:word|wd)?|pwd|token|secret|api[-_]?key|access[-_]?key|auth)=([^&\s"']+)/gi;
/** Field names whose string value is a secret wherever they appear. */
const SECRET_KEY = /^(pass(word|wd|phrase)?|pwd|secret|.*(Password|Secret|Token|ApiKey)|token|api[-_]?key|authorization|cookie|credentials?)$/i;
/** Names that look secret but hold a path or a flag (e.g. `mqttPasswordFile`). */
const NOT_SECRET_KEY = /(File|Path|Dir|Set|At|Changed|Hash(ed)?|Required|Length)$/;

export const MASK = '***';

/** The URL with its user and password masked, everything else kept (`mqtt://***@host:1883`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    return url.replace(URL_CREDENTIALS, `$1${MASK}@`);
  } catch {
    return '(invalid URL)';
  }
}

/** Only the scheme and host: for URLs whose path or query is the secret (webhooks). */
export function redactHostOnly(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** Free text (an error message, ffmpeg's stderr) with URL credentials and key=secret masked. */
export function redactText(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1${MASK}@`).replace(KEY_VALUE_SECRET, `$1=${MASK}`);
}

/** True for a field name that holds a secret (`password`, `smtpPassword`, `token`, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);
}

const MAX_DEPTH = 12;

/**
 * A copy of `value` safe to print: secret-named fields become "***", every string has its URL
 * credentials masked. Errors keep their name, message, stack and code (masked likewise).
 */
export function redactDeep(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactText(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[…]';
    if (Buffer.isBuffer(v) || v instanceof Date || ArrayBuffer.isView(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    // An error keeps its prototype, so loggers still see its class (pino's `type`).
    const out: Record<string, unknown> = v instanceof Error ? (Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>) : {};
    if (v instanceof Error) {
      out.message = redactText(v.message);
      if (v.stack) out.stack = redactText(v.stack);
      if (v.cause !== undefined) out.cause = walk(v.cause, depth + 1);
    }
    for (const [key, item] of Object.entries(v)) {
      out[key] = isSecretKey(key) && item !== null && item !== undefined && typeof item !== 'boolean' ? MASK : walk(item, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}
