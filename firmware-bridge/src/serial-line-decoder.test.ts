import { describe, expect, it } from 'vitest';
import { MAX_SERIAL_LINE_LENGTH, type SerialMessage } from '@mieruka/protocol';
import { Prng } from './prng.js';
import { MAX_BUFFERED_LINE_BYTES, SerialCounters, SerialLineDecoder, type SerialSkip } from './serial-line-decoder.js';

function makeDecoder() {
  const counters = new SerialCounters();
  const messages: SerialMessage[] = [];
  const skips: SerialSkip[] = [];
  const decoder = new SerialLineDecoder(counters, { message: (m) => messages.push(m), skip: (s) => skips.push(s) });
  return { counters, messages, skips, decoder };
}

/** ReadlineParser may deliver on a later tick. */
const settle = () => new Promise((r) => setImmediate(r));

describe('SerialLineDecoder', () => {
  it('splits lines across chunk boundaries and accepts CRLF', async () => {
    const { decoder, messages, counters } = makeDecoder();
    const line = '{"type":"rms","seq":5,"uptimeMs":10,"irms":[1.5,0.25]}\r\n';
    for (const ch of line) decoder.write(ch);
    decoder.write(line + line.slice(0, 10));
    decoder.write(line.slice(10));
    await settle();
    expect(messages).toHaveLength(3);
    expect(messages[0]).toEqual({ type: 'rms', seq: 5, uptimeMs: 10, irms: [1.5, 0.25] });
    expect(counters.byType.rms).toBe(3);
    expect(counters.bytes).toBe(line.length * 3);
  });

  it('drops a line that never ends once it passes the buffer bound, counts it once, then resumes', async () => {
    const { decoder, messages, skips, counters } = makeDecoder();
    const chunk = Buffer.alloc(1000, 0x41);
    for (let i = 0; i < 1000; i++) decoder.write(chunk); // 1 MB without a newline
    decoder.write('tail of the endless line\n{"type":"ack","cmd":"save","ok":true}\n');
    await settle();
    expect(skips).toEqual([{ reason: 'too-long', detail: `no newline within ${MAX_BUFFERED_LINE_BYTES} bytes` }]);
    expect(messages).toEqual([{ type: 'ack', cmd: 'save', ok: true }]);
    expect(counters.lines).toBe(2);
  });

  it('reports lines between the protocol limit and the buffer bound as too long', async () => {
    const { decoder, skips } = makeDecoder();
    decoder.write(`${'x'.repeat(MAX_SERIAL_LINE_LENGTH + 1)}\n`);
    await settle();
    expect(skips.map((s) => s.reason)).toEqual(['too-long']);
  });

  it('fuzz: random bytes, invalid JSON and wrong types never throw and are all counted', async () => {
    const { decoder, messages, skips, counters } = makeDecoder();
    const rng = new Prng(99);
    const fragments = [
      '{"type":"rms"',
      '{"type":"rms","seq":-1,"uptimeMs":0,"irms":[1]}',
      '{"type":"hello","fw":"","id":"x","channels":99,"intervalMs":1}',
      '{"type":"ack","cmd":"cal","ok":"yes"}',
      '{"type":42}',
      '{"type":"rms","seq":1,"uptimeMs":0,"irms":[1e400]}',
      'null',
      '"string"',
      '{"__proto__":{"polluted":true},"type":"ack","cmd":"x","ok":true}',
    ];
    for (let i = 0; i < 2000; i++) {
      const r = rng.next();
      if (r < 0.4) decoder.write(Buffer.from(Array.from({ length: rng.int(1, 300) }, () => rng.int(0, 255))));
      else if (r < 0.8) decoder.write(`${fragments[rng.int(0, fragments.length - 1)]}\n`);
      else if (r < 0.82) decoder.write(Buffer.alloc(rng.int(1000, 20_000), 0x7b));
      else decoder.write('\n');
    }
    decoder.write('\n{"type":"ack","cmd":"info","ok":true}\n');
    await settle();
    expect(messages.at(-1)).toEqual({ type: 'ack', cmd: 'info', ok: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const skipped = Object.values(counters.skipped).reduce((a, b) => a + b, 0);
    expect(skipped).toBe(skips.length);
    expect(skipped).toBeGreaterThan(500);
    expect(counters.lines).toBe(skipped + counters.messages);
    expect(counters.messages).toBe(messages.length);
  });

  it('fuzz: valid lines between garbage lines arrive all, unchanged and in order, however the bytes are chunked', async () => {
    const rng = new Prng(7);
    for (let round = 0; round < 20; round++) {
      const { decoder, messages, counters } = makeDecoder();
      const expected: SerialMessage[] = [];
      const parts: Buffer[] = [];
      for (let i = 0; i < 200; i++) {
        const m: SerialMessage = { type: 'rms', seq: i, uptimeMs: i * 1000, irms: [Math.round(rng.range(0, 40) * 1000) / 1000] };
        expected.push(m);
        parts.push(Buffer.from(`${JSON.stringify(m)}${rng.next() < 0.5 ? '\r\n' : '\n'}`));
        // Garbage always ends its own line, so it can never swallow the next valid one.
        if (rng.next() < 0.5) parts.push(Buffer.from([...Array.from({ length: rng.int(1, 100) }, () => rng.int(0, 255)).filter((b) => b !== 0x0a), 0x0a]));
        if (rng.next() < 0.05) parts.push(Buffer.from(`${'{'.repeat(rng.int(1025, 9000))}\n`));
      }
      const all = Buffer.concat(parts);
      // Random read sizes, as a USB serial port delivers them.
      for (let o = 0; o < all.length; ) {
        const n = rng.int(1, 512);
        decoder.write(all.subarray(o, o + n));
        o += n;
      }
      await settle();
      expect(messages).toEqual(expected);
      expect(counters.lines).toBe(counters.messages + Object.values(counters.skipped).reduce((a, b) => a + b, 0));
    }
  });

  it('a burst of lines then an overlong line split over two reads: the lines after it are not cut', async () => {
    const { decoder, messages, skips } = makeDecoder();
    const lines = Array.from({ length: 400 }, (_, i) => `{"type":"rms","seq":${i},"uptimeMs":${i},"irms":[1.5]}\n`).join('');
    // All in one turn of the event loop, as a large read followed by another would be.
    decoder.write(`${lines}${'{'.repeat(3000)}`);
    decoder.write(`${'{'.repeat(2000)}\n{"type":"ack","cmd":"save","ok":true}\n`);
    await settle();
    expect(messages).toHaveLength(401);
    expect(messages.at(-1)).toEqual({ type: 'ack', cmd: 'save', ok: true });
    expect(skips.map((s) => s.reason)).toEqual(['too-long']);
  });

  it('noise ending in a UTF-8 lead byte does not eat the start of the next line', async () => {
    const { decoder, messages, skips } = makeDecoder();
    decoder.write(Buffer.from([0x00, 0x41, 0xe0, 0x0a]));
    decoder.write('{"type":"ack","cmd":"info","ok":true}\n');
    decoder.write(Buffer.from([0xf0, 0x9f, 0x0a, 0xc3]));
    decoder.write('\n{"type":"ack","cmd":"save","ok":true}\n');
    await settle();
    expect(messages).toEqual([
      { type: 'ack', cmd: 'info', ok: true },
      { type: 'ack', cmd: 'save', ok: true },
    ]);
    expect(skips.map((s) => s.reason)).toEqual(['binary', 'binary', 'binary']);
  });

  it('ignores input after end()', async () => {
    const { decoder, messages } = makeDecoder();
    decoder.write('{"type":"ack","cmd":"save",');
    decoder.end();
    decoder.write('"ok":true}\n');
    await settle();
    expect(messages).toEqual([]);
  });
});
