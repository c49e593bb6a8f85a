// Serial lines parsed per second through the real parser, against bare JSON.parse of the
// same lines in the same run (the reference): the ratio is what our validation costs.
import { performance } from 'node:perf_hooks';
import { ESP32_ROM_BANNER, SerialCounters, SerialLineDecoder, simulateTrace } from '@mieruka/firmware-bridge';
import { parseSerialLine } from '@mieruka/protocol';
import { SMOKE, fmt, median, printTable, saveResult } from './lib.mjs';

export const name = 'serial-parse';

/** Realistic lines: rms readings of a simulated machine (1 and 4 channels), hellos, acks, a boot banner now and then. */
function makeLines(count) {
  const trace = simulateTrace({ seed: 1, durationS: count, intervalMs: 1000 });
  const lines = [];
  for (let i = 0; i < count; i++) {
    const a = trace[i].irms;
    if (i % 5000 === 0) lines.push(...ESP32_ROM_BANNER, '{"type":"hello","fw":"1.0.0","id":"a1b2c3d4","channels":1,"intervalMs":1000}');
    else if (i % 997 === 0) lines.push('{"type":"ack","cmd":"cal","ok":true}');
    else lines.push(JSON.stringify(i % 4 === 0 ? { type: 'rms', seq: i, uptimeMs: i * 1000, irms: [a, a / 2, a / 3, 0.02] } : { type: 'rms', seq: i, uptimeMs: i * 1000, irms: [a] }));
  }
  return lines.slice(0, count);
}

/**
 * Lines per second of each function over all lines: median of `rounds` timed rounds after two
 * warm-up rounds, the functions taking turns within each round so drifting machine load (or
 * JIT warm-up) does not favour one of them.
 */
function throughputs(lines, fns, rounds) {
  const rates = fns.map(() => []);
  for (let r = -2; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn(lines);
      if (r >= 0) rates[i].push(lines.length / ((performance.now() - t0) / 1000));
    });
  }
  return rates.map(median);
}

export async function run() {
  const lines = makeLines(SMOKE ? 2_000 : 200_000);
  const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  let sink = 0;
  const jsonParse = (ls) => {
    for (const l of ls) {
      try {
        sink += JSON.parse(l) ? 1 : 0;
      } catch {
        sink--;
      }
    }
  };
  const validated = (ls) => {
    for (const l of ls) sink += parseSerialLine(l).ok ? 1 : 0;
  };
  // The whole decoder as a port feeds it: bytes in 64-byte reads → lines → messages.
  const decoded = () => {
    let messages = 0;
    const d = new SerialLineDecoder(new SerialCounters(), { message: () => messages++, skip: () => undefined });
    for (let o = 0; o < bytes.length; o += 64) d.write(bytes.subarray(o, o + 64));
    d.end();
    sink += messages;
  };
  const [reference, parse, decoder] = throughputs(lines, [jsonParse, validated, decoded], 5);
  if (sink === 42) console.log(''); // keep the work observable
  const result = {
    lines: lines.length,
    bytes: bytes.length,
    linesPerSecond: { jsonParseReference: Math.round(reference), parseSerialLine: Math.round(parse), serialLineDecoder: Math.round(decoder) },
    ratioToReference: { parseSerialLine: parse / reference, serialLineDecoder: decoder / reference },
  };
  printTable(`Serial line parsing (${lines.length} lines, median of 5 rounds)`, ['parser', 'lines/s', 'vs JSON.parse'], [
    ['JSON.parse (reference)', Math.round(reference).toLocaleString('en'), '1.00'],
    ['parseSerialLine (validated)', Math.round(parse).toLocaleString('en'), fmt(parse / reference)],
    ['SerialLineDecoder (bytes → messages)', Math.round(decoder).toLocaleString('en'), fmt(decoder / reference)],
  ]);
  const file = saveResult(name, result);
  console.log(`saved ${file}`);
  return result;
}
