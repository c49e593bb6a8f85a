#!/usr/bin/env node
// Fails when a secret the tests use (test/fixtures/secret-canaries.json) appears in any of the
// given output files: the whole suite's log, so a secret printed by any test's process or
// logger is caught, not only in the test that looks for it.
import { readFileSync } from 'node:fs';

const { canaries } = JSON.parse(readFileSync(new URL('../test/fixtures/secret-canaries.json', import.meta.url), 'utf8'));
let found = 0;
for (const file of process.argv.slice(2)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    for (const canary of canaries) {
      if (line.includes(canary)) {
        found++;
        console.error(`secret scan: ${file}:${i + 1} contains the test secret "${canary}"`);
      }
    }
  });
}
const files = process.argv.length - 2;
console.log(found === 0 ? `secret scan: no test secret in ${files} output file(s)` : `secret scan: ${found} leak(s)`);
process.exit(found === 0 ? 0 : 1);
