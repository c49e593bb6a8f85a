import { describe, expect, it } from 'vitest';
import { parseConfig } from './config-parse.js';
import { applySettings, settingsFromConfig, type RuntimeSettings } from './settings-schema.js';

const FILE = `
site: factory
machines:
  lathe-1:
    name: 旋盤1号機
    channel: 1
    runningAboveA: 2.5
stations:
  bench-1:
    slots: ["08:30", "17:00"]
alerts:
  smtp: {host: smtp.example.com, user: mieruka@example.com, password: app-password-123}
  recipients: {default: [foreman@example.com, {address: lead@example.com, language: en}]}
  rules: {clutterHigh: {above: 60}, overrides: {lathe-1: {runningLong: {afterMin: 90}}}}
`;

describe('runtime settings', () => {
  const config = parseConfig({ text: FILE });

  it('shows the effective values of the config, and known nodes with defaults', () => {
    const s = settingsFromConfig(config, { machines: ['mill-2'], stations: ['bench-1'] });
    expect(s.machines['lathe-1']).toEqual({ name: '旋盤1号機', offBelowA: 0.3, runningAboveA: 2.5, hysteresisA: 0.1, minDwellS: 3 });
    expect(s.machines['mill-2']).toEqual({ name: null, offBelowA: 0.3, runningAboveA: 1.5, hysteresisA: 0.1, minDwellS: 3 });
    expect(s.stations['bench-1']).toEqual({ name: null, slots: ['08:30', '17:00'] });
    expect(s.recipients.default).toEqual(['foreman@example.com', { address: 'lead@example.com', language: 'en' }]);
    expect(s.rules.clutterHigh).toEqual({ enabled: true, severity: 'minor', above: 60 });
    expect(s.quietHours).toBeNull();
    // Secrets are not part of the settings.
    expect(JSON.stringify(s)).not.toContain('app-password-123');
  });

  it('laying the unchanged settings over the config gives the same config', () => {
    const result = applySettings(config, settingsFromConfig(config));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config).toEqual(config);
  });

  it('applies changes and keeps everything that is not a setting (channel, SMTP, overrides)', () => {
    const s: RuntimeSettings = structuredClone(settingsFromConfig(config, { machines: ['mill-2'] }));
    s.machines['lathe-1']!.runningAboveA = 4;
    s.machines['mill-2']!.name = 'フライス盤';
    s.stations['bench-1']!.slots = ['12:00'];
    s.recipients.default = ['night@example.com'];
    s.rules.clutterHigh.above = 35;
    s.quietHours = { start: '22:00', end: '06:00' };
    s.shifts.push({ name: 'night', start: '22:00', end: '06:00', days: ['mon'] });
    const result = applySettings(config, s);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const c = result.config;
    expect(c.machines['lathe-1']).toMatchObject({ runningAboveA: 4, channel: 1, name: '旋盤1号機' });
    expect(c.machines['mill-2']).toMatchObject({ name: 'フライス盤', runningAboveA: 1.5 });
    expect(c.stations['bench-1']?.slots).toEqual(['12:00']);
    expect(c.alerts.recipients.default).toEqual(['night@example.com']);
    expect(c.alerts.rules.clutterHigh.above).toBe(35);
    expect(c.alerts.rules.overrides['lathe-1']?.runningLong?.afterMin).toBe(90);
    expect(c.alerts.quietHours).toEqual({ start: '22:00', end: '06:00' });
    expect(c.alerts.smtp.password).toBe('app-password-123');
    expect(c.shifts.map((x) => x.name)).toEqual(['day', 'night']);
    // Laying it over the config again shows exactly the saved values.
    expect(settingsFromConfig(c, { machines: ['mill-2'] })).toEqual(s);
  });

  it('switches auto-join of new nodes; a document saved before the switch existed keeps the file value', () => {
    const s = structuredClone(settingsFromConfig(config));
    expect(s.ingest).toEqual({ autoJoin: true });
    s.ingest = { autoJoin: false };
    const off = applySettings(config, s);
    if (!off.ok) throw new Error(JSON.stringify(off.issues));
    expect(off.config.hub.ingest.autoJoin).toBe(false);
    expect(off.config.hub.ingest.maxNodesPerSite).toBe(200);
    const fileOff = parseConfig({ text: `${FILE}\nhub: {ingest: {autoJoin: false}}\n` });
    const { ingest: _absent, ...old } = settingsFromConfig(fileOff);
    const kept = applySettings(fileOff, old);
    if (!kept.ok) throw new Error(JSON.stringify(kept.issues));
    expect(kept.config.hub.ingest.autoJoin).toBe(false);
    const bad = applySettings(config, { ...s, ingest: { autoJoin: 'yes' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.path).toEqual(['ingest', 'autoJoin']);
  });

  it('reports every problem with its path inside the settings, using the config schema rules', () => {
    const s = structuredClone(settingsFromConfig(config));
    s.machines['lathe-1']!.runningAboveA = 0.2;
    s.shifts.push({ ...s.shifts[0]! });
    s.stations['bench-1']!.slots = ['25:00'];
    s.recipients.escalation = ['not an address'];
    const result = applySettings(config, s);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('stations.bench-1.slots.0');
    expect(paths).toContain('recipients.escalation.0');
    // Shape problems come first; fix them and the config-level ones show.
    s.stations['bench-1']!.slots = ['09:00'];
    s.recipients.escalation = [];
    const second = applySettings(config, s);
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['machines.lathe-1.runningAboveA', 'shifts']));
    expect(second.issues.find((i) => i.path.join('.') === 'machines.lathe-1.runningAboveA')?.message).toMatch(/greater than offBelowA/);
  });

  it('refuses unknown fields, secrets and non-objects', () => {
    const s = settingsFromConfig(config);
    for (const bad of [null, 'x', 42, { ...s, smtp: { password: 'x' } }, { ...s, machines: { 'lathe-1': { ...s.machines['lathe-1'], channel: 3 } } }, { ...s, machines: { 'Bad Id': s.machines['lathe-1'] } }]) {
      const result = applySettings(config, bad);
      expect(result.ok).toBe(false);
    }
  });

  it('gives every problem in Japanese too: zod ja locale texts, and the Japanese of the schema\'s own messages', () => {
    const settings = settingsFromConfig(config);
    const wrongType = applySettings(config, { ...settings, machines: 'all of them' });
    expect(wrongType.ok).toBe(false);
    if (!wrongType.ok) {
      const issue = wrongType.issues.find((i) => i.path[0] === 'machines');
      expect(issue?.message).toMatch(/expected record/);
      expect(issue?.messageJa).toMatch(/無効な入力/);
    }
    const lathe = settings.machines['lathe-1'];
    if (!lathe) throw new Error('lathe-1 missing');
    const inverted = applySettings(config, { ...settings, machines: { ...settings.machines, 'lathe-1': { ...lathe, runningAboveA: 0.1 } } });
    expect(inverted.ok).toBe(false);
    if (!inverted.ok) {
      expect(inverted.issues).toContainEqual({
        path: ['machines', 'lathe-1', 'runningAboveA'],
        message: 'runningAboveA must be greater than offBelowA',
        messageJa: 'runningAboveA は offBelowA より大きくしてください',
      });
    }
    // The English parse after the Japanese one still speaks English: no global locale.
    const again = applySettings(config, { ...settings, machines: 'all of them' });
    expect(again.ok === false && again.issues[0]?.message).toMatch(/expected record/);
  });
});
