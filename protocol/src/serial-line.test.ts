import { describe, expect, it } from 'vitest';
import { encodeHostCommand, encodeSerialMessage, parseSerialLine, type SerialMessage } from './serial-line.js';

const reason = (line: string) => {
  const r = parseSerialLine(line);
  return r.ok ? r.message.type : r.reason;
};

describe('serial line protocol', () => {
  it('parses the documented lines, with LF or CRLF', () => {
    expect(parseSerialLine('{"type":"hello","fw":"1.0.0","id":"a1b2c3","channels":1,"intervalMs":1000}')).toEqual({
      ok: true,
      message: { type: 'hello', fw: '1.0.0', id: 'a1b2c3', channels: 1, intervalMs: 1000 },
    });
    expect(parseSerialLine('{"type":"rms","seq":42,"uptimeMs":123456,"irms":[3.214]}\r')).toEqual({
      ok: true,
      message: { type: 'rms', seq: 42, uptimeMs: 123456, irms: [3.214] },
    });
    expect(reason('{"type":"ack","cmd":"cal","ok":true}')).toBe('ack');
  });

  it.each([
    ['', 'empty'],
    ['ets Jun  8 2016 00:22:57', 'not-json'],
    ['rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)', 'not-json'],
    ['"type":"rms","seq":4', 'not-json'],
    ['{"type":"rms","seq":42,"upt', 'not-json'],
    ['\u0000\u0013\u00ff\u00fe', 'binary'],
    ['{"type":"rms"\u0007}', 'binary'],
    ['[1,2,3]', 'not-json'],
    ['{"type":"log","msg":"hi"}', 'unknown-type'],
    ['{"seq":1}', 'unknown-type'],
    ['{"type":"rms","seq":"42","uptimeMs":1,"irms":[1]}', 'invalid'],
    ['{"type":"rms","seq":42,"uptimeMs":1,"irms":[]}', 'invalid'],
    ['{"type":"rms","seq":42,"uptimeMs":1,"irms":[-5]}', 'invalid'],
    ['{"type":"hello","fw":"1","id":"x","channels":99,"intervalMs":1000}', 'invalid'],
    [`{"type":"rms","seq":1,"uptimeMs":1,"irms":[${'1,'.repeat(600)}1]}`, 'too-long'],
  ])('skips %j as %s', (line, expected) => {
    expect(reason(line)).toBe(expected);
  });

  it('never throws on random input', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 200);
      const s = Array.from({ length: len }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('');
      expect(() => parseSerialLine(s)).not.toThrow();
      expect(parseSerialLine(`{${s}}`).ok).toBe(false);
    }
  });

  it('encodes host commands as text lines', () => {
    expect(encodeHostCommand({ cmd: 'info' })).toBe('info\n');
    expect(encodeHostCommand({ cmd: 'interval', ms: 500 })).toBe('interval 500\n');
    expect(encodeHostCommand({ cmd: 'cal', channel: 0, ampsPerVolt: 30 })).toBe('cal 0 30\n');
    expect(encodeHostCommand({ cmd: 'noise', channel: 1, amps: 0.05 })).toBe('noise 1 0.05\n');
    expect(encodeHostCommand({ cmd: 'save' })).toBe('save\n');
    expect(() => encodeHostCommand({ cmd: 'interval', ms: 5 })).toThrow(RangeError);
    expect(() => encodeHostCommand({ cmd: 'cal', channel: 99, ampsPerVolt: 1 })).toThrow(RangeError);
    expect(() => encodeHostCommand({ cmd: 'cal', channel: 0, ampsPerVolt: Number.NaN })).toThrow(RangeError);
  });

  it('round-trips messages', () => {
    const m: SerialMessage = { type: 'rms', seq: 1, uptimeMs: 1000, irms: [0.5, 7.25] };
    const r = parseSerialLine(encodeSerialMessage(m).trimEnd());
    expect(r).toEqual({ ok: true, message: m });
  });
});
