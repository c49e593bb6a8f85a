#!/usr/bin/env bash
# Fails when package-lock.json no longer matches the package.json files (root and workspaces),
# which would make `npm ci` — the README's install — refuse a clean clone. `npm ci --dry-run`
# validates the lock without touching node_modules; --offline because a lock in sync needs
# nothing from the registry (a drifted one then fails here too, just with another message).
#   bash scripts/check-lock.sh [project dir]
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"
if out=$(npm ci --dry-run --ignore-scripts --offline --no-audit --no-fund 2>&1); then
  # A Pi installs from the same lock: it must hold the arm builds of the native packages the
  # build needs (npm can prune other platforms' optional packages from a lock it rewrites).
  for target in 'arm64 rollup-linux-arm64-gnu sharp-linux-arm64' 'arm rollup-linux-arm-gnueabihf sharp-linux-arm'; do
    read -r cpu rollup sharp <<<"$target"
    plan=$(npm ci --dry-run --ignore-scripts --offline --no-audit --no-fund --os=linux --cpu="$cpu" --libc=glibc 2>&1)
    for pkg in "@rollup/$rollup" "@img/$sharp"; do
      if ! printf '%s\n' "$plan" | grep -q "add $pkg "; then
        echo "package-lock.json lacks $pkg: \`npm ci\` on linux-$cpu (a Raspberry Pi) would install without it; regenerate the lock with \`npm install\`" >&2
        exit 1
      fi
    done
  done
  echo "package-lock.json matches every package.json (and holds the linux arm64/arm native packages)"
  exit 0
fi
reason=$(printf '%s\n' "$out" | grep -E 'in sync|Missing|Invalid|ENOTCACHED|request to' | head -n 3 | sed 's/^npm error //')
echo "package-lock.json does not match the package.json files: run \`npm install\` and commit package-lock.json" >&2
printf '%s\n' "${reason:-$out}" | sed 's/^/  /' >&2
exit 1
