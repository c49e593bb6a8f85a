#!/usr/bin/env bash
# Fails when package-lock.json no longer matches the package.json files (root and workspaces),
# which would make `npm ci` — the README's install — refuse a clean clone. `npm ci --dry-run`
# validates the lock without touching node_modules; --offline because a lock in sync needs
# nothing from the registry (a drifted one then fails here too, just with another message).
#   bash scripts/check-lock.sh [project dir]
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"
if out=$(npm ci --dry-run --ignore-scripts --offline --no-audit --no-fund 2>&1); then
  echo "package-lock.json matches every package.json"
  exit 0
fi
reason=$(printf '%s\n' "$out" | grep -E 'in sync|Missing|Invalid|ENOTCACHED|request to' | head -n 3 | sed 's/^npm error //')
echo "package-lock.json does not match the package.json files: run \`npm install\` and commit package-lock.json" >&2
printf '%s\n' "${reason:-$out}" | sed 's/^/  /' >&2
exit 1
