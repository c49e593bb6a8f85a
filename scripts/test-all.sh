#!/usr/bin/env bash
# The README's test command: system packages, node modules, build, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
# The lock must match the manifests (npm ci refuses otherwise; test/lockfile.test.ts says so too).
bash scripts/check-lock.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Exactly what the lock says, as on a user's machine (it also builds: the prepare script).
  npm ci --no-audit --no-fund
fi
bash scripts/install-native-opencv.sh
npm test
