#!/usr/bin/env bash
# `npm test`: build, type-check the tests, check the package arrows (dependency-cruiser,
# .dependency-cruiser.cjs), run every vitest test and the firmware host tests,
# then print one closing line that counts them all ("total: N passed, M failed").
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results

npm run build || exit 1
npm run typecheck || exit 1
npm run depcheck || exit 1

npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
vitest_status=$?

firmware_out=$(bash firmware-bridge/esp32/test/host/run.sh 2>&1)
firmware_status=$?
printf '%s\n' "$firmware_out"

node scripts/test-summary.mjs test-results/vitest.json "$(printf '%s\n' "$firmware_out" | tail -n 1)"
summary_status=$?

if [ $vitest_status -ne 0 ] || [ $firmware_status -ne 0 ] || [ $summary_status -ne 0 ]; then exit 1; fi
