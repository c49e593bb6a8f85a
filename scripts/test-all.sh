#!/usr/bin/env bash
# The README's test command: system packages, node modules, build, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm install rather than npm ci: npm 11 writes lock files without the other platforms' optional
  # packages (rollup, sharp), which npm ci then refuses; npm install completes them.
  npm install --no-audit --no-fund
fi
bash scripts/install-native-opencv.sh
npm test
