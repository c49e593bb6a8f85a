import { pino, type Logger } from 'pino';

/** JSON lines to stdout (journald keeps them); secrets are redacted by path as a safety net. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'mieruka' },
    redact: { paths: ['password', '*.password', 'adminPassword', '*.adminPassword', 'config.dashboard.adminPassword'], censor: '***' },
  });
}
