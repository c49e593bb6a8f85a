/** Decoding of tower replies, including replies split across TCP segments and garbage. */
import { describe, expect, it } from 'vitest';
import { decodeAckReply, decodeStatusReply, describePnsStatus } from './pns-reply.js';

const b = (...bytes: number[]) => Uint8Array.from(bytes);

describe('ACK/NAK replies', () => {
  it('tells ACK, NAK, nothing yet and garbage apart', () => {
    expect(decodeAckReply(b())).toEqual({ state: 'incomplete' });
    expect(decodeAckReply(b(0x06))).toEqual({ state: 'ack' });
    expect(decodeAckReply(b(0x15))).toEqual({ state: 'nak' });
    const bad = decodeAckReply(Buffer.from('HTTP/1.1 400'));
    expect(bad.state === 'bad' && bad.reason).toMatch(/48 54 54 50.*web server/);
  });

  it('explains an ASCII ACK from an older PHN tower', () => {
    const bad = decodeAckReply(Buffer.from('ACK'));
    expect(bad.state === 'bad' && bad.reason).toMatch(/PHN/);
  });
});

describe('status replies', () => {
  const la6Signal = [0, 1, 0, 0, 0, 0, 0, 1, 0, 2, 0, 1, 0, 0, 3];
  const la6Smart = [0, 0, 0, 0, 0, 0, 0, 0, 1, 5, 1, 0, 12];

  it('decodes an LA6 signal-light-mode status, byte by byte', () => {
    for (let n = 0; n < la6Signal.length; n++) expect(decodeStatusReply('la6', b(...la6Signal.slice(0, n))).state).toBe('incomplete');
    expect(decodeStatusReply('la6', b(...la6Signal))).toEqual({
      state: 'status',
      status: { model: 'la6', inputs: [0, 1, 0, 0, 0, 0, 0, 1], mode: 'signal-light', units: [2, 0, 1, 0, 0], buzzer: 3 },
    });
  });

  it('decodes an LA6 smart-mode status (13 bytes)', () => {
    expect(decodeStatusReply('la6', b(...la6Smart.slice(0, 12))).state).toBe('incomplete');
    expect(decodeStatusReply('la6', b(...la6Smart))).toEqual({
      state: 'status',
      status: { model: 'la6', inputs: [0, 0, 0, 0, 0, 0, 0, 0], mode: 'smart', smart: { group: 5, mute: 1, stopInput: 0, pattern: 12 } },
    });
  });

  it('decodes an NH status (6 bytes)', () => {
    expect(decodeStatusReply('nh', b(1, 2, 3, 0, 0))).toEqual({ state: 'incomplete' });
    expect(decodeStatusReply('nh', b(1, 2, 3, 0, 0, 4))).toEqual({ state: 'status', status: { model: 'nh', units: [1, 2, 3, 0, 0], buzzer: 4 } });
  });

  it('a lone 0x15 is a NAK', () => {
    expect(decodeStatusReply('la6', b(0x15))).toEqual({ state: 'nak' });
    expect(decodeStatusReply('nh', b(0x15))).toEqual({ state: 'nak' });
  });

  it('rejects garbage at the first impossible byte, without waiting for more', () => {
    expect(decodeStatusReply('la6', Buffer.from('Hel')).state).toBe('bad');
    expect(decodeStatusReply('la6', b(0, 0, 0, 0, 0, 0, 0, 0, 7)).state).toBe('bad'); // mode 7
    expect(decodeStatusReply('nh', b(1, 0x20)).state).toBe('bad');
    expect(decodeStatusReply('nh', b(0x15, 0)).state).toBe('bad');
  });

  it('describes a status for people', () => {
    expect(describePnsStatus({ model: 'nh', units: [1, 2, 0, 0, 0], buzzer: 1 })).toEqual([
      'unit 1 (red): on',
      'unit 2 (amber): blink',
      'unit 3 (green): off',
      'unit 4 (blue): off',
      'unit 5 (white): off',
      'buzzer: pattern 1',
    ]);
    expect(describePnsStatus({ model: 'la6', inputs: [0, 0, 0, 0, 0, 0, 0, 0], mode: 'smart', smart: { group: 2, mute: 0, stopInput: 1, pattern: 3 } })).toContain('mode: smart mode');
  });
});
