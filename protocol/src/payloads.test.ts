import { describe, expect, it } from 'vitest';
import { decodeMessage, encodePayload } from './decode.js';
import { examplePayloads, MAX_IMAGE_BYTES, payloadSchemas, type JsonKind } from './payloads.js';

const kinds = Object.keys(payloadSchemas) as JsonKind[];
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('payload schemas', () => {
  it.each(kinds)('%s accepts its documented example', (kind) => {
    expect(payloadSchemas[kind].safeParse(examplePayloads[kind]).success).toBe(true);
    const decoded = decodeMessage(`mieruka/v1/f/n/${kind}`, enc(examplePayloads[kind]));
    expect(decoded.ok && decoded.message.payload).toEqual(examplePayloads[kind]);
  });

  it.each(kinds)('%s rejects a missing field', (kind) => {
    const { ts: _ts, ...rest } = examplePayloads[kind] as { ts: number };
    expect(payloadSchemas[kind].safeParse(rest).success).toBe(false);
  });

  it.each(kinds)('%s rejects a timestamp in seconds or as a string', (kind) => {
    expect(payloadSchemas[kind].safeParse({ ...examplePayloads[kind], ts: 1_764_000_000 }).success).toBe(false);
    expect(payloadSchemas[kind].safeParse({ ...examplePayloads[kind], ts: '1764000000000' }).success).toBe(false);
  });

  it.each([
    ['current', { ...examplePayloads.current, irms: [Number.NaN] }],
    ['current', { ...examplePayloads.current, irms: [Number.POSITIVE_INFINITY] }],
    ['current', { ...examplePayloads.current, irms: [-1] }],
    ['current', { ...examplePayloads.current, irms: [] }],
    ['current', { ...examplePayloads.current, irms: new Array(10_000).fill(1) }],
    ['current', { ...examplePayloads.current, irms: ['3.2'] }],
    ['current', { ...examplePayloads.current, seq: -1 }],
    ['current', { ...examplePayloads.current, seq: 1.5 }],
    ['current', { ...examplePayloads.current, extra: 1 }],
    ['state', { ...examplePayloads.state, state: 'RUNNING' }],
    ['state', { ...examplePayloads.state, state: 'broken' }],
    ['status', { ...examplePayloads.status, online: 'yes' }],
    ['event', { ...examplePayloads.event, type: 'Run Finished' }],
    ['clutter', { ...examplePayloads.clutter, score: 101 }],
    ['clutter', { ...examplePayloads.clutter, coveredRatio: -0.1 }],
    ['clutter', { ...examplePayloads.clutter, imageId: '../../etc/passwd' }],
    ['motion', { ...examplePayloads.motion, active: 1 }],
  ] as const)('%s rejects %j', (kind, bad) => {
    expect(payloadSchemas[kind].safeParse(bad).success).toBe(false);
  });

  it('keeps extra fields of events', () => {
    const r = payloadSchemas.event.parse({ ...examplePayloads.event, durationS: 12 });
    expect(r.durationS).toBe(12);
  });
});

describe('decodeMessage', () => {
  it('reports the reason of each failure', () => {
    const r = (topic: string, payload: Buffer) => {
      const d = decodeMessage(topic, payload);
      return d.ok ? 'ok' : d.reason;
    };
    expect(r('mieruka/v1/f/n/current/x', enc(examplePayloads.current))).toBe('topic');
    expect(r('mieruka/v1/f/n/current', Buffer.from('{"ts":'))).toBe('not-json');
    expect(r('mieruka/v1/f/n/current', Buffer.from('NaN'))).toBe('not-json');
    expect(r('mieruka/v1/f/n/current', enc({ ts: 1 }))).toBe('schema');
    expect(r('mieruka/v1/f/n/current', Buffer.alloc(70 * 1024, 0x20))).toBe('too-large');
    expect(r('mieruka/v1/f/n/image', Buffer.from('not a jpeg'))).toBe('not-jpeg');
    expect(r('mieruka/v1/f/n/image', Buffer.alloc(MAX_IMAGE_BYTES + 1, 0xff))).toBe('too-large');
    expect(r('mieruka/v1/f/n/image', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('ok');
    expect(r('mieruka/v1/f/n/cmd/capture', enc({ ts: 1_764_000_000_000 }))).toBe('topic');
  });

  it('names where a failure came from', () => {
    const d = decodeMessage('mieruka/v1/f/mill-2/state', enc({ ...examplePayloads.state, state: 'x' }));
    expect(d).toMatchObject({ ok: false, site: 'f', node: 'mill-2', kind: 'state' });
    expect(!d.ok && d.message).toMatch(/state/);
  });

  it('encodePayload refuses what the hub would drop', () => {
    expect(() => encodePayload('current', { ...examplePayloads.current, irms: [Number.NaN] })).toThrow(/invalid current payload/);
    expect(JSON.parse(encodePayload('current', examplePayloads.current).toString())).toEqual(examplePayloads.current);
  });
});
