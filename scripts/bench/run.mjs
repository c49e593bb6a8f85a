#!/usr/bin/env node
// `npm run bench [-- name …]`: runs every scripts/bench/*.bench.mjs (or the named ones) one
// after the other against the built packages, prints a table each and saves
// bench-results/<name>.json. Timings are reported as ratios against a reference measured in
// the same run. Loopback only; each benchmark is bounded in time (LIMIT_MS).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LIMIT_MS = 110_000;
const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.mjs$/, '')))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}

try {
  await import('@mieruka/edge');
} catch (err) {
  console.error(`bench: the packages are not built (${err.message}). Run \`npm run build\` first.`);
  process.exit(1);
}

const started = Date.now();
let failed = 0;
for (const file of files) {
  const bench = await import(new URL(file, import.meta.url).href);
  const t0 = Date.now();
  // A hung benchmark must not hang the run.
  // A benchmark may declare a longer bound (limitMs) when it measures more setups.
  const limitMs = bench.limitMs ?? LIMIT_MS;
  const guard = setTimeout(() => {
    console.error(`bench ${bench.name}: exceeded ${limitMs / 1000} s, aborting`);
    process.exit(1);
  }, limitMs);
  try {
    await bench.run();
    console.log(`(${bench.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.error(`bench ${bench.name} failed: ${err.stack ?? err}`);
  } finally {
    clearTimeout(guard);
  }
}
console.log(`\n${files.length - failed}/${files.length} benchmarks done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed > 0 ? 1 : 0);
