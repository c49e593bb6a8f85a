// Shared helpers of the benchmarks: percentiles, a loopback aedes broker, result files.
// MIERUKA_BENCH_SMOKE=1: every benchmark runs with tiny sizes (the test command does this to
// prove they still run and still check what they measure); results then go to <name>-smoke.json.
// MIERUKA_BENCH_RESULTS_DIR: where result files go (default bench-results/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export const SMOKE = process.env.MIERUKA_BENCH_SMOKE === '1';
export const RESULTS_DIR = process.env.MIERUKA_BENCH_RESULTS_DIR
  ? `${process.env.MIERUKA_BENCH_RESULTS_DIR.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../bench-results/', import.meta.url));
/**
 * The environment for the CLI processes a bench starts: every MIERUKA_* variable is a config
 * override to them (the benches' own switches would be refused), and a bench measures the
 * defaults, not whatever the caller's shell overrides.
 */
export const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MIERUKA_')));

/** q-quantile of a sorted array (linear interpolation). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), min: s[0], max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export function median(values) {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** aedes on 127.0.0.1, port 0. */
export async function startAedes() {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${server.address().port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
      await new Promise((resolve) => aedes.close(() => resolve()));
    },
  };
}

export function environment() {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() };
}

export function saveResult(name, result) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${name}${SMOKE ? '-smoke' : ''}.json`;
  writeFileSync(file, `${JSON.stringify({ name, smoke: SMOKE, environment: environment(), ...result }, null, 2)}\n`);
  return file;
}

/** Prints rows (arrays of cells) as an aligned text table. */
export function printTable(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(`\n${title}`);
  console.log(line(all[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const r of all.slice(1)) console.log(line(r));
}

export const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** A port free on loopback right now (for processes that take a port number, not 0). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` until it is truthy; a bench that waits for ever proves nothing. */
export async function waitUntil(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
