import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from './config-parse.js';

const dashboard = (value: unknown, env: Record<string, string> = {}) => parseConfig({ overrides: value === undefined ? {} : { dashboard: value }, env }).dashboard;

describe('dashboard config: kiosk and trustProxy', () => {
  it('defaults to no kiosk and no trusted proxy', () => {
    expect(dashboard(undefined).kiosk).toEqual({ enabled: false, sessionHours: 720 });
    expect(dashboard(undefined).trustProxy).toBe(false);
  });

  it('needs a long URL-safe token when the kiosk is on, and never shows it', () => {
    expect(() => dashboard({ kiosk: { enabled: true } })).toThrow(/kiosk.token: kiosk.enabled needs kiosk.token/);
    expect(() => dashboard({ kiosk: { enabled: true, token: 'short-token' } })).toThrow(/24–256 characters/);
    expect(() => dashboard({ kiosk: { enabled: true, token: `${'a'.repeat(30)}/+` } })).toThrow(/24–256 characters/);
    const token = 'wall-display-token-0123456789_ABC';
    const config = parseConfig({ overrides: { dashboard: { kiosk: { enabled: true, token, sessionHours: 48 } } } });
    expect(config.dashboard.kiosk).toEqual({ enabled: true, token, sessionHours: 48 });
    expect(JSON.stringify(redactConfig(config))).not.toContain(token);
  });

  it('takes trustProxy as a boolean, a hop count or a list of addresses, CIDRs and names', () => {
    expect(dashboard({ trustProxy: true }).trustProxy).toBe(true);
    expect(dashboard({ trustProxy: 2 }).trustProxy).toBe(2);
    expect(dashboard({ trustProxy: ['loopback', '10.0.0.0/8', '192.168.1.5', 'fd00::/8'] }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    expect(dashboard(undefined, { MIERUKA_DASHBOARD__TRUST_PROXY: 'loopback, 10.1.2.3' }).trustProxy).toEqual(['loopback', '10.1.2.3']);
    expect(dashboard(undefined, { MIERUKA_DASHBOARD__TRUST_PROXY: '1' }).trustProxy).toBe(1);
    for (const bad of ['yes', ['10.0.0.300'], ['proxy.local'], [], 11, -1, 1.5]) {
      expect(() => dashboard({ trustProxy: bad }), JSON.stringify(bad)).toThrow(/dashboard\.trustProxy: /);
    }
    expect(() => dashboard({ trustProxy: ['proxy.local'] })).toThrow(/use false, true, a number of proxy hops \(0–10\) or a list of proxy IP addresses/);
  });
});
