/** Exact bytes of every PNS request, checked against the reference's example frames. */
import { describe, expect, it } from 'vitest';
import { isMierukaError } from '@mieruka/protocol';
import { decodePnsFrame, encodeClear, encodeDetailRunControl, encodePnsFrame, encodeRunControl, encodeStatusRequest, hexBytes } from './pns-frame.js';
import { parseSignalSpec, signalToPnsFrame } from './tower-signal.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('PNS request frames', () => {
  it('NH S command matches the reference example byte for byte', () => {
    // reference: "58 58 53 00 00 06 01 02 03 00 00 04 (NH, red on, amber pattern 2, green pattern 3, buzzer 4)"
    expect(encodeRunControl('nh', [1, 2, 3, 0, 0], 4)).toEqual(hex('58 58 53 00 00 06 01 02 03 00 00 04'));
  });

  it('LA6 D command matches the reference example byte for byte', () => {
    // reference: "41 42 44 00 00 07 01 02 04 00 00 00 00 (LA6: red, yellow, green, no blink, no buzzer)"
    expect(encodeDetailRunControl('la6', [1, 2, 4, 0, 0], false, 0)).toEqual(hex('41 42 44 00 00 07 01 02 04 00 00 00 00'));
  });

  it('clear and status requests carry no data', () => {
    // reference: "C … clear: all off, e.g. 41 42 43 00 00 00"
    expect(encodeClear('la6')).toEqual(hex('41 42 43 00 00 00'));
    expect(encodeClear('nh')).toEqual(hex('58 58 43 00 00 00'));
    expect(encodeStatusRequest('la6')).toEqual(hex('41 42 47 00 00 00'));
    expect(encodeStatusRequest('nh')).toEqual(hex('58 58 47 00 00 00'));
  });

  it('LA6 S command and keep values', () => {
    expect(encodeRunControl('la6', [2, 9, 0, 0, 1], 9)).toEqual(hex('41 42 53 00 00 06 02 09 00 00 01 09'));
  });

  it('writes the data length big-endian', () => {
    const frame = encodePnsFrame('nh', 'S', new Uint8Array(0x0102));
    expect([...frame.subarray(0, 6)]).toEqual([0x58, 0x58, 0x53, 0x00, 0x01, 0x02]);
  });

  it.each([
    ['NH buzzer 5', () => encodeRunControl('nh', [0, 0, 0, 0, 0], 5)],
    ['LA6 S buzzer 4', () => encodeRunControl('la6', [0, 0, 0, 0, 0], 4)],
    ['LA6 S flash pattern 3', () => encodeRunControl('la6', [3, 0, 0, 0, 0], 0)],
    ['four units', () => encodeRunControl('nh', [0, 0, 0, 0], 0)],
    ['D on an NH tower', () => encodeDetailRunControl('nh', [1, 0, 0, 0, 0], false, 0)],
    ['D colour 10', () => encodeDetailRunControl('la6', [10, 0, 0, 0, 0], false, 0)],
    ['D buzzer 12', () => encodeDetailRunControl('la6', [1, 0, 0, 0, 0], false, 12)],
  ])('refuses %s with a coded error', (_what, encode) => {
    let error: unknown;
    try {
      encode();
    } catch (err) {
      error = err;
    }
    expect(isMierukaError(error, 'BAD_REQUEST')).toBe(true);
  });

  it('decodes frames from a byte stream, one at a time', () => {
    const stream = Buffer.concat([encodeRunControl('nh', [1, 2, 3, 0, 0], 4), encodeClear('nh')]);
    expect(decodePnsFrame(stream.subarray(0, 5))).toEqual({ state: 'incomplete' });
    expect(decodePnsFrame(stream.subarray(0, 8))).toEqual({ state: 'incomplete' });
    const first = decodePnsFrame(stream);
    expect(first.state === 'frame' && first.frame).toEqual({ category: 'XX', command: 'S', data: hex('01 02 03 00 00 04') });
    const second = first.state === 'frame' ? decodePnsFrame(first.rest) : null;
    expect(second?.state === 'frame' && second.frame.command).toBe('C');
    expect(decodePnsFrame(hex('58 58 53 01 00 00')).state).toBe('invalid');
  });

  it('prints bytes as spaced hex', () => {
    expect(hexBytes(hex('41 42 43 00 00 00'))).toBe('41 42 43 00 00 00');
    expect(hexBytes(Buffer.alloc(40), 4)).toBe('00 00 00 00 … (40 bytes)');
  });
});

describe('tower signal → PNS frame', () => {
  it('NH: one S pattern per tier', () => {
    expect(signalToPnsFrame('nh', parseSignalSpec('red=on,amber=blink,green=off,buzzer=1'))).toEqual(hex('58 58 53 00 00 06 01 02 00 00 00 01'));
    expect(signalToPnsFrame('nh', parseSignalSpec('blue=on,white=blink'))).toEqual(hex('58 58 53 00 00 06 00 00 00 01 02 00'));
  });

  it('LA6 with D: colours per unit, one blink flag; the all-on signal is the reference example', () => {
    expect(signalToPnsFrame('la6', parseSignalSpec('red=on,amber=on,green=on'))).toEqual(hex('41 42 44 00 00 07 01 02 04 00 00 00 00'));
    expect(signalToPnsFrame('la6', parseSignalSpec('red=blink,buzzer=1'))).toEqual(hex('41 42 44 00 00 07 01 00 00 00 00 01 01'));
    expect(signalToPnsFrame('la6', parseSignalSpec('blue=on,white=on'))).toEqual(hex('41 42 44 00 00 07 00 00 00 06 09 00 00'));
  });

  it('LA6 with S: patterns, colours as configured in the tower', () => {
    expect(signalToPnsFrame('la6', parseSignalSpec('red=blink,green=on,buzzer=2'), 'S')).toEqual(hex('41 42 53 00 00 06 02 00 01 00 00 02'));
  });

  it('all off is the clear command', () => {
    expect(signalToPnsFrame('la6', parseSignalSpec('red=off'))).toEqual(hex('41 42 43 00 00 00'));
  });
});

describe('parseSignalSpec', () => {
  it('reads the CLI form; tiers not named are off', () => {
    expect(parseSignalSpec('red=on,amber=blink,green=off,buzzer=1')).toEqual({ red: 'on', amber: 'blink', green: 'off', buzzer: 1 });
    expect(parseSignalSpec(' Green = on , buzzer=on ')).toEqual({ red: 'off', amber: 'off', green: 'on', buzzer: 1 });
  });

  it.each(['', 'purple=on', 'red=dim', 'buzzer=7', 'red=on,red=off', 'red'])('refuses %j with a message', (spec) => {
    expect(() => parseSignalSpec(spec)).toThrow(/red|tier|buzzer|use|twice|empty/);
  });
});
