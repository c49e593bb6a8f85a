import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from './config-parse.js';
import { isMierukaError } from './errors.js';

describe('hub.images and hub.clutterWebhook config', () => {
  it('defaults: 400 days, 2048 MB, hourly pruning, no webhook', () => {
    const c = parseConfig();
    expect(c.hub.images).toEqual({ retentionDays: 400, maxTotalMB: 2048, pruneIntervalMin: 60 });
    expect(c.hub.clutterWebhook).toBeUndefined();
  });

  it('reads a webhook with defaults and hides its URL when redacted', () => {
    const url = 'https://script.google.com/macros/s/SECRET-TOKEN/exec';
    const c = parseConfig({ text: `hub:\n  images:\n    retentionDays: 30\n  clutterWebhook:\n    url: ${url}\n` });
    expect(c.hub.images.retentionDays).toBe(30);
    expect(c.hub.clutterWebhook).toEqual({ url, timeoutMs: 10_000, maxQueue: 1000, dailyUtilization: false });
    expect(JSON.stringify(redactConfig(c))).not.toContain('SECRET-TOKEN');
  });

  it('rejects a bad URL, a zero limit and unknown keys, all at once', () => {
    try {
      parseConfig({ text: 'hub:\n  images:\n    maxTotalMB: 0\n    extra: 1\n  clutterWebhook:\n    url: ftp://x/y\n' });
      expect.unreachable();
    } catch (err) {
      expect(isMierukaError(err) && err.code).toBe('CONFIG_INVALID');
      const message = (err as Error).message;
      expect(message).toContain('hub.images.maxTotalMB');
      expect(message).toContain('hub.clutterWebhook.url');
      expect(message).toMatch(/extra/);
    }
  });
});
