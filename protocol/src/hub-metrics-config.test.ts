import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from './config-parse.js';

describe('hub.metrics config', () => {
  it('has no token by default (only admin sessions read /metrics)', () => {
    expect(parseConfig({}).hub.metrics?.token).toBeUndefined();
  });

  it('takes a long URL-safe token from the file or MIERUKA_HUB__METRICS__TOKEN, and never shows it', () => {
    expect(() => parseConfig({ overrides: { hub: { metrics: { token: 'short-token' } } } })).toThrow(/hub\.metrics\.token: use 24–256 characters/);
    expect(() => parseConfig({ overrides: { hub: { metrics: { token: `${'a'.repeat(30)}/+` } } } })).toThrow(/24–256 characters/);
    const token = 'scraper-token-0123456789_ABCdef';
    const config = parseConfig({ env: { MIERUKA_HUB__METRICS__TOKEN: token } });
    expect(config.hub.metrics?.token).toBe(token);
    expect(JSON.stringify(redactConfig(config))).not.toContain(token);
  });
});
