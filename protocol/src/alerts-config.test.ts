import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseConfig, redactConfig } from './config-parse.js';
import type { Config } from './config-schema.js';
import { isMierukaError } from './errors.js';

function problems(text: string): string[] {
  try {
    parseConfig({ text });
  } catch (err) {
    if (isMierukaError(err, 'CONFIG_INVALID')) return (err.details as Array<{ path: string }>).map((d) => d.path).sort();
    throw err;
  }
  return [];
}

describe('config: alerts', () => {
  it('has working defaults with no file: rules on, mail off, no quiet hours', () => {
    const { alerts } = parseConfig();
    expect(alerts.smtp.host).toBeUndefined();
    expect(alerts.smtp).toMatchObject({ secure: false, requireTLS: true, rejectUnauthorized: true, timeoutS: 30 });
    expect(alerts.recipients).toEqual({ default: [], escalation: [], escalateAfterMin: 30, remindEveryMin: 60 });
    expect(alerts.quietHours).toBeUndefined();
    expect(alerts.rateLimit.perRecipientPerHour).toBe(20);
    expect(alerts.ackLinkHours).toBe(72);
    expect(alerts.rules.machineStopped).toEqual({ enabled: true, severity: 'major', clearAfterS: 300 });
    expect(alerts.rules.jobFinished).toEqual({ enabled: true, severity: 'info', clearAfterS: 0 });
    expect(alerts.rules.runningLong).toEqual({ enabled: false, severity: 'warning', clearAfterS: 0, afterMin: 240 });
    expect(alerts.rules.idleLong).toEqual({ enabled: false, severity: 'warning', clearAfterS: 0, afterMin: 30 });
    expect(alerts.rules.sensorOffline).toEqual({ enabled: true, severity: 'major', clearAfterS: 120, silentAfterS: 120 });
    expect(alerts.rules.clutterHigh).toEqual({ enabled: true, severity: 'minor', clearAfterS: 0, above: 50 });
    expect(alerts.rules.channelBroken).toEqual({ enabled: true, severity: 'major', clearAfterS: 0, afterS: 60 });
    expect(alerts.rules.overrides).toEqual({});
    expect(alerts.towers).toEqual([]);
    expect(alerts.webhooks).toEqual([]);
    expectTypeOf<Config['alerts']['rules']['runningLong']['afterMin']>().toEqualTypeOf<number>();
  });

  it('reads a full section: SMTP, recipients with languages, quiet hours, rule fields and per-node overrides', () => {
    const { alerts } = parseConfig({
      text: [
        'alerts:',
        '  publicUrl: http://192.168.1.20:8080',
        '  smtp: { host: smtp.example.com, port: 587, user: mieruka@example.com, password: app-password-1, from: "Mieruka <mieruka@example.com>" }',
        '  recipients:',
        '    default: [foreman@example.com, { address: trainee@example.com, language: en }]',
        '    escalation: [boss@example.com]',
        '    escalateAfterMin: 15',
        '  quietHours: { start: "22:00", end: "06:00" }',
        '  rules:',
        '    runningLong: { enabled: true, afterMin: 120 }',
        '    clutterHigh: { above: 40, slots: ["17:00"] }',
        '    overrides:',
        '      mill-1:',
        '        runningLong: { afterMin: 60, severity: critical }',
        '        machineStopped: { enabled: false }',
        '  towers: [{ name: floor, type: pns, host: 192.168.1.50, model: la6 }]',
      ].join('\n'),
    });
    expect(alerts.publicUrl).toBe('http://192.168.1.20:8080');
    expect(alerts.recipients.default).toEqual(['foreman@example.com', { address: 'trainee@example.com', language: 'en' }]);
    expect(alerts.recipients.escalateAfterMin).toBe(15);
    expect(alerts.quietHours).toEqual({ start: '22:00', end: '06:00' });
    expect(alerts.rules.runningLong).toEqual({ enabled: true, severity: 'warning', clearAfterS: 0, afterMin: 120 });
    expect(alerts.rules.clutterHigh).toMatchObject({ above: 40, slots: ['17:00'], enabled: true });
    // Overrides keep only what differs: no defaults filled in.
    expect(alerts.rules.overrides['mill-1']).toEqual({ runningLong: { afterMin: 60, severity: 'critical' }, machineStopped: { enabled: false } });
    expect(alerts.towers).toEqual([{ name: 'floor', type: 'pns', host: '192.168.1.50', model: 'la6', port: 10000, la6Command: 'D', timeoutMs: 3000, holdS: 900, probeIntervalS: 300 }]);
  });

  it('reports every bad alert field with its path', () => {
    expect(
      problems(
        [
          'alerts:',
          '  publicUrl: ftp://x',
          '  ackSecret: short',
          '  smtp: { password: x }',
          '  recipients: { default: [not-an-address] }',
          '  quietHours: { start: "22:00", end: "22:00" }',
          '  rules:',
          '    clutterHigh: { above: 150 }',
          '    machineStopped: { severity: loud }',
          '    overrides:',
          '      Mill_1: {}',
          '      mill-2: { runningLong: { bogus: 1 } }',
        ].join('\n'),
      ),
    ).toEqual([
      'alerts.ackSecret',
      'alerts.publicUrl',
      'alerts.quietHours.end',
      'alerts.recipients.default.0',
      'alerts.rules.clutterHigh.above',
      'alerts.rules.machineStopped.severity',
      'alerts.rules.overrides.Mill_1',
      'alerts.rules.overrides.mill-2.runningLong',
      'alerts.smtp.user',
    ]);
  });

  it('takes the SMTP password from the environment and never shows it or the ack secret when redacted', () => {
    const c = parseConfig({
      text: 'alerts:\n  smtp: { host: smtp.example.com, user: me@example.com }\n  ackSecret: 0123456789abcdef0123456789abcdef-secret\n',
      env: { MIERUKA_ALERTS__SMTP__PASSWORD: 'hunter2-app-password' },
    });
    expect(c.alerts.smtp.password).toBe('hunter2-app-password');
    const shown = JSON.stringify(redactConfig(c));
    expect(shown).not.toContain('hunter2-app-password');
    expect(shown).not.toContain('0123456789abcdef0123456789abcdef-secret');
    expect(shown).toContain('smtp.example.com');
  });
});
