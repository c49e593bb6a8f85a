#!/usr/bin/env bash
# `npm test`: build, type-check the tests, check the package arrows (dependency-cruiser,
# .dependency-cruiser.cjs), run every vitest test and the firmware host tests, run the
# date-sensitive tests again at two tricky dates under faketime (scripts/test-at.sh), scan all
# their output for the test secrets (scripts/scan-secrets.mjs), then print one closing line that
# counts them all ("total: N passed, M failed").
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results

npm run build || exit 1
npm run typecheck || exit 1
npm run depcheck || exit 1

# All output is kept to be scanned for the test secrets at the end (scripts/scan-secrets.mjs).
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json 2>&1 | tee test-results/output.log
vitest_status=${PIPESTATUS[0]}

# The calendar's hard days, on every run: a month's first minutes after a 28-day February in
# Tokyo, and New York's 25-hour day (the clock goes back during the run).
date_status=0
rm -f test-results/vitest-at-*.json test-results/output-at-*.log
at_run=0
for spec in '2027-03-01 00:30|Asia/Tokyo' '2027-11-07 01:30|America/New_York'; do
  at_run=$((at_run + 1))
  bash scripts/test-at.sh "${spec%|*}" --tz "${spec#*|}" --dates --no-build --reporter=default --reporter=json --outputFile.json="test-results/vitest-at-$at_run.json" 2>&1 | tee "test-results/output-at-$at_run.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || date_status=1
done

firmware_out=$(bash firmware-bridge/esp32/test/host/run.sh 2>&1)
firmware_status=$?
printf '%s\n' "$firmware_out"

node scripts/scan-secrets.mjs test-results/output.log test-results/output-at-*.log
secrets_status=$?

node scripts/test-summary.mjs "$(printf '%s\n' "$firmware_out" | tail -n 1)" test-results/vitest.json test-results/vitest-at-*.json
summary_status=$?

if [ $vitest_status -ne 0 ] || [ $date_status -ne 0 ] || [ $secrets_status -ne 0 ] || [ $firmware_status -ne 0 ] || [ $summary_status -ne 0 ]; then exit 1; fi
