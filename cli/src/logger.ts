import { pino, type Logger } from 'pino';
import { redactDeep, redactText } from '@mieruka/protocol';

/**
 * JSON lines to stdout (journald keeps them). A safety net behind every caller's own care:
 * password-like fields anywhere in a log line become "***" and credentials in URLs are masked
 * (protocol's redact.ts, the one implementation), in messages, fields and child bindings alike.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'mieruka' },
    redact: { paths: ['password', '*.password', 'adminPassword', '*.adminPassword', 'config.dashboard.adminPassword'], censor: '***' },
    formatters: {
      log: (object) => redactDeep(object) as Record<string, unknown>,
      bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
  });
}
