/**
 * Fuzzing (fast-check) of everything in protocol that reads what others send: decodeMessage
 * (topic + payload bytes from MQTT), every payload and command schema, the serial line parser
 * and the dashboard settings. Arbitrary and near-valid inputs (a valid example with one field
 * replaced or dropped) must give ok or a coded, explained refusal, never a throw.
 * Seeds are fixed (FUZZ_SEED overrides); fast-check prints seed and path of a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodePayload } from './decode.js';
import { CommandPayload, examplePatliteCommand, examplePayloads, PatliteCommand, payloadSchemas, ScheduleCommand, ThresholdsCommand, type JsonKind } from './payloads.js';
import { parseSerialLine, SerialMessage } from './serial-line.js';
import { parseConfig } from './config-parse.js';
import { applySettings, settingsFromConfig } from './settings-schema.js';
import { KINDS, TOPIC_ROOT } from './topics.js';

const seed = Number(process.env.FUZZ_SEED ?? 14_009);
const params = (numRuns: number) => ({ seed, numRuns });

const JSON_KINDS = Object.keys(payloadSchemas) as JsonKind[];
const DECODE_REASONS = ['topic', 'too-large', 'not-json', 'schema', 'not-jpeg'];
const SKIP_REASONS = ['empty', 'too-long', 'binary', 'not-json', 'not-object', 'unknown-type', 'invalid'];

/** Ids as the contract allows them, plus ones that just miss. */
const id = fc.oneof(fc.constantFrom('factory', 'mill-1', 'bench-1', 'a'), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/), fc.constantFrom('', '-x', 'X', 'a/b', '+', '#', 'a'.repeat(65)));
const topic = fc.oneof(
  fc.string(),
  fc.tuple(id, id, fc.constantFrom(...KINDS, 'cmd', 'nope', '')).map(([s, n, k]) => `${TOPIC_ROOT}/${s}/${n}/${k}`),
  fc.tuple(id, id, fc.string({ maxLength: 40 })).map(([s, n, a]) => `${TOPIC_ROOT}/${s}/${n}/cmd/${a}`),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 8 }).map((parts) => [TOPIC_ROOT, ...parts].join('/')),
);

/** A valid example with one field replaced by anything JSON can carry, or dropped, or one added. */
function nearValid(example: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(example);
  const value = fc.oneof(fc.jsonValue(), fc.double(), fc.constantFrom(-1, 0, 1e400, -0, 2 ** 53, 4_102_444_800_001, '', null, [], {}));
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), value).map(([k, v]) => ({ ...example, [k]: v })),
    fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(example).filter(([key]) => key !== k))),
    fc.tuple(fc.string({ maxLength: 12 }), value).map(([k, v]) => ({ ...example, [k]: v })),
  );
}

const jsonPayload = fc.oneof(
  fc.constantFrom(...JSON_KINDS).chain((kind) => nearValid(examplePayloads[kind] as Record<string, unknown>)),
  fc.jsonValue(),
  fc.anything(),
);
const payloadBytes = fc.oneof(
  jsonPayload.map((v) => Buffer.from(JSON.stringify(v) ?? 'undefined')),
  fc.uint8Array({ maxLength: 256 }),
  fc.uint8Array({ maxLength: 64 }).map((tail) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), tail])),
  fc.string().map((s) => Buffer.from(s)),
);

describe('fuzz: protocol decoders', () => {
  it('decodeMessage: any topic and payload → ok with a payload its schema accepts, or a reason and a message', () => {
    fc.assert(
      fc.property(topic, payloadBytes, (t, payload) => {
        const result = decodeMessage(t, payload);
        if (result.ok) {
          const { kind } = result.message;
          if (kind === 'image') expect(Buffer.isBuffer(result.message.payload)).toBe(true);
          else expect(payloadSchemas[kind].safeParse(result.message.payload).success).toBe(true);
        } else {
          expect(DECODE_REASONS).toContain(result.reason);
          expect(result.message.length).toBeGreaterThan(0);
        }
      }),
      params(1000),
    );
  });

  it('decodeMessage: a near-valid payload on a valid topic of its kind is decoded or refused as schema/not-json', () => {
    const kindAndPayload = fc.constantFrom(...JSON_KINDS).chain((kind) => fc.tuple(fc.constant(kind), nearValid(examplePayloads[kind] as Record<string, unknown>)));
    fc.assert(
      fc.property(kindAndPayload, ([kind, payload]) => {
        const result = decodeMessage(`${TOPIC_ROOT}/factory/mill-1/${kind}`, Buffer.from(JSON.stringify(payload)));
        if (!result.ok) expect(['schema', 'not-json']).toContain(result.reason);
        else expect(result.message.kind).toBe(kind);
      }),
      params(1000),
    );
  });

  it('every payload and command schema: safeParse of anything never throws', () => {
    const schemas = [...Object.values(payloadSchemas), CommandPayload, PatliteCommand, ThresholdsCommand, ScheduleCommand, SerialMessage];
    const input = fc.oneof(fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true }), nearValid(examplePatliteCommand));
    fc.assert(
      fc.property(fc.constantFrom(...schemas), input, (schema, value) => {
        const result = schema.safeParse(value);
        expect(typeof result.success).toBe('boolean');
      }),
      params(1000),
    );
  });

  it('encodePayload: returns valid bytes or throws the documented TypeError, nothing else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...JSON_KINDS), jsonPayload, (kind, payload) => {
        try {
          const bytes = encodePayload(kind, payload as never);
          expect(decodeMessage(`${TOPIC_ROOT}/factory/mill-1/${kind}`, bytes).ok).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(TypeError);
        }
      }),
      params(500),
    );
  });

  it('parseSerialLine: any text → a message or a skip with a known reason', () => {
    const rms = { type: 'rms', seq: 1, uptimeMs: 10, irms: [1.5] };
    const line = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      nearValid(rms).map((v) => JSON.stringify(v)),
      nearValid({ type: 'hello', fw: '1.0.0', id: 'x', channels: 1, intervalMs: 1000 }).map((v) => JSON.stringify(v)),
      nearValid({ type: 'ack', cmd: 'cal', ok: true }).map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(line, fc.constantFrom('', '\r'), (text, eol) => {
        const result = parseSerialLine(text + eol);
        if (result.ok) expect(SerialMessage.safeParse(result.message).success).toBe(true);
        else {
          expect(SKIP_REASONS).toContain(result.reason);
          expect(typeof result.detail).toBe('string');
        }
      }),
      params(1000),
    );
  });

  it('applySettings: anything from the dashboard → a config or issues with paths, never a throw', () => {
    const base = parseConfig({ text: 'site: factory\nmachines:\n  mill-1: {}\nstations:\n  bench-1: {}\n' });
    const valid = settingsFromConfig(base) as unknown as Record<string, unknown>;
    const input = fc.oneof(fc.anything({ withNullPrototype: true }), nearValid(valid), fc.jsonValue());
    fc.assert(
      fc.property(input, (value) => {
        const result = applySettings(base, value);
        if (!result.ok) {
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) expect(typeof issue.message).toBe('string');
        }
      }),
      params(300),
    );
  });
});
