import { describe, expect, it } from 'vitest';
import { ESP32_ROM_BANNER } from '@mieruka/firmware-bridge';
import { parseTraceText } from '../../edge/src/current/trace-file.js';

describe('parseTraceText', () => {
  it('reads CSV with ts and amps (extra columns, comments, CRLF and bad rows are fine)', () => {
    const text = '# recorded on mill-1\r\nts,amps,phase\r\n1000,0.02,off\r\n2000,0.9,idle\r\n3000,,idle\r\n4000,-1,idle\r\nnope,1,idle\r\n5000,5.5,running\r\n';
    const t = parseTraceText(text);
    expect(t.format).toBe('csv');
    expect(t.samples).toEqual([
      { ts: 1000, amps: 0.02 },
      { ts: 2000, amps: 0.9 },
      { ts: 5000, amps: 5.5 },
    ]);
    expect(t.skipped['bad-value']).toBe(3);
  });

  it('picks the channel column of a multi-channel CSV, and ISO times', () => {
    const text = 'time;irms0;irms1\n2025-11-24T10:00:00Z;0.1;4.2\n2025-11-24T10:00:01Z;0.2;4.3\n';
    expect(parseTraceText(text, { channel: 1 }).samples).toEqual([
      { ts: Date.parse('2025-11-24T10:00:00Z'), amps: 4.2 },
      { ts: Date.parse('2025-11-24T10:00:01Z'), amps: 4.3 },
    ]);
    expect(parseTraceText('ts,irms\n1,2\n', { channel: 3 })).toMatchObject({ samples: [], skipped: { 'no-channel': 1 } });
  });

  it('reads serial protocol lines as captured from the port, banner and noise included; reboots continue the time line', () => {
    const text = [
      ...ESP32_ROM_BANNER,
      '\u0000\u00e0garbage',
      '{"type":"rms","seq":17,"uptimeMs":41',
      '{"type":"hello","fw":"1.0.0","id":"abc","channels":2,"intervalMs":1000}',
      '{"type":"rms","seq":0,"uptimeMs":1000,"irms":[0.5,3.1]}',
      '{"type":"rms","seq":1,"uptimeMs":2000,"irms":[0.6,3.2]}',
      '{"type":"ack","cmd":"cal","ok":true}',
      '{"type":"rms","seq":0,"uptimeMs":1000,"irms":[0.7,3.3]}', // rebooted
      '{"type":"rms","seq":"x","uptimeMs":1000,"irms":["a"]}',
    ].join('\n');
    const t = parseTraceText(text, { channel: 1 });
    expect(t.format).toBe('lines');
    expect(t.samples.map((s) => s.amps)).toEqual([3.1, 3.2, 3.3]);
    const ts = t.samples.map((s) => s.ts);
    expect(ts[1]).toBe((ts[0] as number) + 1000);
    expect(ts[2]).toBeGreaterThan(ts[1] as number);
    expect(t.skipped['not-a-reading']).toBe(ESP32_ROM_BANNER.filter((l) => l !== '').length + 1 + 2); // banner, noise, hello, ack
    expect(t.skipped.invalid).toBe(2); // the half line and the wrong types
  });

  it('reads current payloads, also as mosquitto_sub -v output, and bridge --print lines', () => {
    const text = [
      '{"ts":1764000000000,"seq":1,"irms":[1.5]}',
      'mieruka/v1/factory/mill-1/current {"ts":1764000001000,"seq":2,"irms":[1.6]}',
      'mieruka/v1/factory/mill-1/status {"online":true,"ts":1764000001000,"agent":"bridge","version":"0.1.0"}',
      '2025-11-24T10:00:02.000Z  seq 3  ch0 1.700 A  ch1 0.100 A',
      '2025-11-24T10:00:03.000Z  {"type":"hello","fw":"1.0.0","id":"abc","channels":1,"intervalMs":1000}',
      '2025-11-24T10:00:04.000Z  skipped (not-json): ets Jun  8 2016 00:22:57',
      '{"ts":"yesterday","irms":"lots"}',
    ].join('\n');
    const t = parseTraceText(text);
    expect(t.samples).toEqual([
      { ts: 1_764_000_000_000, amps: 1.5 },
      { ts: 1_764_000_001_000, amps: 1.6 },
      { ts: Date.parse('2025-11-24T10:00:02.000Z'), amps: 1.7 },
    ]);
    expect(t.skipped).toMatchObject({ 'not-a-reading': 3, invalid: 1 });
  });
});
