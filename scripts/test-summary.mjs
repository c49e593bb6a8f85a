// Adds up the firmware host tests' "N passed, M failed" line and vitest's JSON reports (the
// normal run, then the date runs of scripts/test-at.sh) into one closing line.
//   node scripts/test-summary.mjs "<firmware line>" test-results/vitest.json [test-results/vitest-at-*.json …]
import { readFileSync } from 'node:fs';

const [firmwareLine = '', ...reportPaths] = process.argv.slice(2);
let passed = 0;
let failed = 0;
if (reportPaths.length === 0) {
  console.error('test-summary: no vitest report named');
  failed += 1;
}
for (const reportPath of reportPaths) {
  try {
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
    if (report.numPendingTests || report.numTodoTests) {
      console.error(`test-summary: ${reportPath}: ${report.numPendingTests} skipped and ${report.numTodoTests} todo tests — none are allowed`);
      failed += report.numPendingTests + report.numTodoTests;
    }
  } catch (err) {
    console.error(`test-summary: no vitest report (${err.message})`);
    failed += 1;
  }
}
const m = /^(\d+) passed, (\d+) failed$/.exec(firmwareLine.trim());
if (m) {
  passed += Number(m[1]);
  failed += Number(m[2]);
} else {
  console.error(`test-summary: firmware host tests printed no summary line: ${firmwareLine}`);
  failed += 1;
}
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
