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

  it('ignores input after end()', async () => {
    const { decoder, messages } = makeDecoder();
    decoder.write('{"type":"ack","cmd":"save",');
    decoder.end();
    decoder.write('"ok":true}\n');
    await settle();
    expect(messages).toEqual([]);
  });
});
