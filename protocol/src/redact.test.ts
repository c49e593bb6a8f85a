import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from './config-parse.js';
import { isSecretKey, redactDeep, redactHostOnly, redactText, redactUrl } from './redact.js';

describe('redact', () => {
  it('masks user and password in URLs of every scheme, keeping the host', () => {
    expect(redactUrl('mqtt://factory%2Fmill-1:pa55@hub.local:1883')).toBe('mqtt://***@hub.local:1883');
    expect(redactUrl('mqtts://user:secret@10.0.0.2:8883/')).toBe('mqtts://***@10.0.0.2:8883/');
    expect(redactUrl('rtsp://admin:secret@10.0.0.5/stream')).toBe('rtsp://***@10.0.0.5/stream');
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
    expect(redactHostOnly('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com/…');
  });

  it('masks credentials inside free text (error messages, ffmpeg stderr)', () => {
    const text = 'rtsp://admin:hunter2@cam.local/1: 401 Unauthorized; retry with ?password=hunter3&x=1 token=abc';
    const out = redactText(text);
    expect(out).not.toMatch(/hunter2|hunter3|abc/);
    expect(out).toContain('rtsp://***@cam.local/1');
    expect(out).toContain('x=1');
  });

  it('masks secret-named fields at any depth, but not paths or flags named like them', () => {
    const err = Object.assign(new Error('connect to mqtt://u:topsecret@h failed'), { code: 'ECONNREFUSED' });
    const out = redactDeep({
      password: 'p1',
      nested: [{ smtpPassword: 'p2', kioskToken: 'p3', apiKey: 'p4', mqttPasswordFile: '/etc/mieruka/mqtt.pw', passwordChangedAt: 5 }],
      url: 'mqtt://u:p5@host',
      err,
    }) as Record<string, unknown>;
    const json = JSON.stringify(out);
    for (const s of ['p1', 'p2', 'p3', 'p4', 'p5', 'topsecret']) expect(json).not.toContain(`"${s}"`);
    expect(json).not.toContain('topsecret');
    expect(json).toContain('/etc/mieruka/mqtt.pw');
    expect((out.err as Record<string, unknown>).code).toBe('ECONNREFUSED');
    expect(isSecretKey('passwordChangedAt')).toBe(false);
    expect(isSecretKey('adminPassword')).toBe(true);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ name: 'a', self: '[Circular]' });
  });

  it('redactConfig masks camera and MQTT URL credentials besides the secret fields', () => {
    const config = parseConfig({
      overrides: {
        bridge: { mqttUrl: 'mqtt://factory%2Fmill-1:bridge-pass@hub:1883' },
        stations: { bench1: { camera: { type: 'rtsp', url: 'rtsp://admin:cam-pass@10.0.0.5/stream' } } },
      },
    });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('bridge-pass');
    expect(shown).not.toContain('cam-pass');
    expect(shown).toContain('rtsp://***@10.0.0.5/stream');
  });
});
