#!/usr/bin/env bash
# Runs the tests as if it were another date and time, in another time zone:
#
#   scripts/test-at.sh "<YYYY-MM-DD HH:MM[:SS]>" [--tz ZONE] [--dates] [--no-build] [vitest args…]
#
# The date is local time in ZONE (default Asia/Tokyo). Debian's faketime makes the whole
# process tree see it — vitest, its workers, the hub and agents the tests spawn, and Chromium —
# on one shared clock that starts there and runs on (FAKETIME_DONT_RESET: a process started
# later does not start again from that date). ZONE is also the site's zone in the tests that
# read SITE_TZ_UNDER_TEST (test/helpers/test-clock.ts). `--dates` runs only the date-sensitive
# test files listed in scripts/date-sensitive-tests.txt; with neither it nor vitest args, the
# whole suite runs. It builds first (on the real clock; the CLI tests run the built program)
# unless --no-build says the build is fresh. Examples:
#   scripts/test-at.sh "2027-03-01 00:30"
#   scripts/test-at.sh "2027-03-14 01:59" --tz America/New_York --dates
#   scripts/test-at.sh "2028-02-29 12:00" broker/src/reports
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/test-at.sh \"YYYY-MM-DD HH:MM[:SS]\" [--tz ZONE] [--dates] [--no-build] [vitest args…]" >&2; exit 2; }
[ $# -ge 1 ] || usage
at=$1
shift
[[ $at =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[\ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?$ ]] || { echo "test-at: not a local date and time: '$at'" >&2; usage; }
at=${at/T/ }
[[ $at =~ :[0-9]{2}:[0-9]{2}$ ]] || at="$at:00"
zone=Asia/Tokyo
only_dates=0
build=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --tz) [ $# -ge 2 ] || usage; zone=$2; shift 2 ;;
    --tz=*) zone=${1#--tz=}; shift ;;
    --dates) only_dates=1; shift ;;
    --no-build) build=0; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[ -f "/usr/share/zoneinfo/$zone" ] || { echo "test-at: unknown time zone '$zone'" >&2; exit 2; }
command -v faketime >/dev/null || { echo "test-at: faketime is missing: run scripts/install-system-deps.sh (Debian package faketime)" >&2; exit 1; }
if [ $only_dates -eq 1 ]; then
  while IFS= read -r line; do
    line=${line%%#*}
    line=${line//[[:space:]]/}
    [ -n "$line" ] && args+=("$line")
  done < scripts/date-sensitive-tests.txt
fi

# Build on the real clock; only the tests run at the fake one.
[ $build -eq 0 ] || npm run build --silent >/dev/null

# What the fake clock says must be what was asked (a missing or broken libfaketime fails here, not in a test).
seen=$(TZ=$zone FAKETIME_DONT_RESET=1 faketime -f "@$at" date '+%Y-%m-%d %H:%M')
[ "$seen" = "${at:0:16}" ] || { echo "test-at: faketime gives '$seen' for '$at' in $zone (a time skipped by DST?)" >&2; exit 1; }
echo "test-at: $at $zone ($(TZ=$zone FAKETIME_DONT_RESET=1 faketime -f "@$at" date '+%Z, UTC%:z'))"

export TZ=$zone SITE_TZ_UNDER_TEST=$zone FAKETIME_DONT_RESET=1
exec faketime -f "@$at" npx vitest run "${args[@]}"
