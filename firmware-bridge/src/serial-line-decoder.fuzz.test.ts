/**
 * Fuzzing (fast-check) of the serial line decoder: lines of arbitrary bytes, valid and
 * near-valid protocol lines, cut into chunks at arbitrary boundaries. Never throws; every line
 * is either a message or a counted skip, in order, and nothing else is lost or invented.
 * Seeds are fixed (FUZZ_SEED overrides); fast-check prints seed and path of a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSerialLine, type SerialMessage } from '@mieruka/protocol';
import { SerialCounters, SerialLineDecoder, type SerialSkip } from './serial-line-decoder.js';

const seed = Number(process.env.FUZZ_SEED ?? 14_009);
const params = (numRuns: number) => ({ seed, numRuns });

/** ReadlineParser may deliver on a later tick. */
const settle = () => new Promise((r) => setImmediate(r));

const NL = 0x0a;
const withoutNewline = (bytes: Uint8Array) => Buffer.from(bytes.filter((b) => b !== NL));

function nearValid(example: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(example);
  const value = fc.oneof(fc.jsonValue(), fc.constantFrom(-1, 1e308, '', null, [], [1e400], '\u0000'));
  return fc.oneof(
    fc.constant(example),
    fc.tuple(fc.constantFrom(...keys), value).map(([k, v]) => ({ ...example, [k]: v })),
    fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(example).filter(([key]) => key !== k))),
  ).map((v) => JSON.stringify(v));
}

/** One line's content (no newline), as bytes. */
const lineContent = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map(withoutNewline),
  fc.string({ unit: 'binary', maxLength: 60 }).map((s) => withoutNewline(Buffer.from(s, 'utf8'))),
  nearValid({ type: 'rms', seq: 1, uptimeMs: 1000, irms: [1.25, 0.5] }).map((s) => Buffer.from(s)),
  nearValid({ type: 'hello', fw: '1.0.0', id: 'abc', channels: 1, intervalMs: 1000 }).map((s) => Buffer.from(s)),
  nearValid({ type: 'ack', cmd: 'cal', ok: true }).map((s) => Buffer.from(s)),
  fc.constantFrom('', '\r', 'ets Jun  8 2016 00:22:57', 'rst:0x1 (POWERON_RESET),boot:0x13', '{"type":"rms"', '\xff\xfe{', '{}').map((s) => Buffer.from(s, 'latin1')),
  fc.integer({ min: 60, max: 300 }).map((n) => Buffer.alloc(n, 0x7b)),
);

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

async function decode(chunks: Buffer[], maxBufferedBytes?: number) {
  const counters = new SerialCounters();
  const messages: SerialMessage[] = [];
  const skips: SerialSkip[] = [];
  const decoder = new SerialLineDecoder(counters, { message: (m) => messages.push(m), skip: (s) => skips.push(s) }, maxBufferedBytes ? { maxBufferedBytes } : {});
  for (const chunk of chunks) decoder.write(chunk);
  await settle();
  decoder.end();
  return { counters, messages, skips };
}

/** What the decoder must make of each whole line: the parser's verdict, or too-long past the buffer bound. */
function expected(lines: Buffer[], maxBufferedBytes: number) {
  return lines.map((l) => (l.length > maxBufferedBytes ? ({ ok: false, reason: 'too-long' } as const) : parseSerialLine(l.toString('utf8'))));
}

describe('fuzz: SerialLineDecoder', () => {
  const input = fc.tuple(fc.array(lineContent, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 10 }));

  for (const bound of [undefined, 64]) {
    it(`every line is a message or one counted skip, in order, at any chunking${bound ? ` (buffer bound ${bound} bytes)` : ''}`, async () => {
      await fc.assert(
        fc.asyncProperty(input, async ([lines, offsets]) => {
          const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from([NL])]));
          const { counters, messages, skips } = await decode(cut(bytes, offsets), bound);
          const want = expected(lines, bound ?? Number.POSITIVE_INFINITY);
          expect(counters.bytes).toBe(bytes.length);
          expect(counters.lines).toBe(lines.length);
          expect(counters.messages + Object.values(counters.skipped).reduce((a, b) => a + b, 0)).toBe(lines.length);
          expect(messages).toEqual(want.flatMap((r) => (r.ok ? [r.message] : [])));
          expect(skips.map((s) => s.reason)).toEqual(want.flatMap((r) => (r.ok ? [] : [r.reason])));
        }),
        params(400),
      );
    });
  }

  it('a partial last line is neither a message nor a skip', async () => {
    await fc.assert(
      fc.asyncProperty(input, lineContent, async ([lines, offsets], tail) => {
        const bytes = Buffer.concat([...lines.flatMap((l) => [l, Buffer.from([NL])]), tail]);
        const { counters } = await decode(cut(bytes, offsets));
        expect(counters.lines).toBe(lines.length);
      }),
      params(200),
    );
  });

  // Found by the properties above (kept as examples).
  it('counts an empty line as a skip (ReadlineParser alone drops it silently)', async () => {
    const { counters, skips, messages } = await decode([Buffer.from('\n{"type":"ack","cmd":"save","ok":true}\n\n')]);
    expect(skips.map((s) => s.reason)).toEqual(['empty', 'empty']);
    expect(messages).toEqual([{ type: 'ack', cmd: 'save', ok: true }]);
    expect(counters.lines).toBe(3);
  });
});
