import { describe, expect, it } from 'vitest';
import { envToTree, parseConfig, redactConfig } from './config-parse.js';
import { isMierukaError } from './errors.js';

describe('config', () => {
  it('runs on defaults with no file', () => {
    const c = parseConfig();
    expect(c.site).toBe('factory');
    expect(c.timezone).toBe('Asia/Tokyo');
    expect(c.hub.mqtt.port).toBe(1883);
    expect(c.hub.http.port).toBe(8080);
    expect(c.dashboard.language).toBe('ja');
    expect(c.stations).toEqual({});
  });

  it('reads YAML, fills nested defaults and freezes', () => {
    const c = parseConfig({
      text: 'site: tohoku-1\nmachines:\n  mill-1:\n    offBelowA: 0.2\n    runningAboveA: 2\nstations:\n  bench-1: {}\n',
    });
    expect(c.machines['mill-1']).toMatchObject({ offBelowA: 0.2, runningAboveA: 2, minDwellS: 3, channel: 0 });
    expect(c.stations['bench-1']?.slots).toEqual(['09:00', '12:00', '17:00']);
    expect(Object.isFrozen(c.hub.mqtt)).toBe(true);
    expect(() => {
      (c as { site: string }).site = 'x';
    }).toThrow();
  });

  it('reports every problem at once with its path', () => {
    try {
      parseConfig({
        source: 'mieruka.yaml',
        text: 'site: Bad Site\nhub:\n  mqtt:\n    port: 70000\n  bogus: 1\ntimezone: Mars/Olympus\nmachines:\n  m1:\n    offBelowA: 3\n    runningAboveA: 1\nstations:\n  b1:\n    slots: ["9am"]\n',
      });
      expect.unreachable();
    } catch (err) {
      expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
      const paths = ((err as { details: Array<{ path: string }> }).details).map((d) => d.path).sort();
      expect(paths).toEqual(['hub', 'hub.mqtt.port', 'machines.m1.runningAboveA', 'site', 'stations.b1.slots.0', 'timezone']);
      expect((err as Error).message).toMatch(/mieruka\.yaml has 6 problem/);
    }
  });

  it('reports YAML syntax errors clearly', () => {
    expect(() => parseConfig({ text: 'site: [unclosed\n' })).toThrow(/\(yaml\)/);
    expect(() => parseConfig({ text: '- a list\n' })).toThrow(/mapping/);
  });

  it('applies MIERUKA_* env overrides, then CLI overrides', () => {
    expect(envToTree({ MIERUKA_HUB__DATA_DIR: '/var/lib/m', MIERUKA_HUB__MQTT__PORT: '1884', MIERUKA_CONFIG: 'x', PATH: '/bin' })).toEqual({
      hub: { dataDir: '/var/lib/m', mqtt: { port: 1884 } },
    });
    const c = parseConfig({
      text: 'hub:\n  mqtt:\n    port: 1000\n',
      env: { MIERUKA_HUB__MQTT__PORT: '2000', MIERUKA_SITE: 'envsite' },
      overrides: { hub: { mqtt: { port: 3000 } } },
    });
    expect(c.hub.mqtt.port).toBe(3000);
    expect(c.site).toBe('envsite');
    expect(() => parseConfig({ env: { MIERUKA_HUB__NOPE: '1' } })).toThrow(/hub/);
  });

  it('reaches keys with capitals in a row from the environment (maxTotalMB, requireTLS)', () => {
    const c = parseConfig({ env: { MIERUKA_HUB__IMAGES__MAX_TOTAL_MB: '512', MIERUKA_ALERTS__SMTP__REQUIRE_TLS: 'false', MIERUKA_MACHINES__MILL1__OFF_BELOW_A: '0.5' } });
    expect(c.hub.images.maxTotalMB).toBe(512);
    expect(c.alerts.smtp.requireTLS).toBe(false);
    expect(c.machines.mill1?.offBelowA).toBe(0.5);
  });

  it('never shows secrets when redacted', () => {
    const c = parseConfig({ overrides: { dashboard: { adminPassword: 'correct horse battery' } } });
    expect(JSON.stringify(redactConfig(c))).not.toContain('correct horse');
    expect(c.dashboard.adminPassword).toBe('correct horse battery');
  });
});
