#!/usr/bin/env bash
# Host unit tests of the ESP32 firmware: plain g++, no framework, no toolchain download.
# Usage: bash firmware-bridge/esp32/test/host/run.sh   (from any directory)
# Last line: "<N> passed, <M> failed". Exit status non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../../src"
CXX="${CXX:-g++}"
flags=(-std=c++17 -Wall -Wextra -Werror -O2)

tmp="$(mktemp -d "${TMPDIR:-/tmp}/mieruka-fw-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "run.sh: $CXX not found (Debian: apt-get install g++)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

build() {
  if ! "$@"; then
    echo "run.sh: build failed: ${*: -3}" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
}

# The core alone, with extra warnings that the ESP32 build would also hit.
build "$CXX" "${flags[@]}" -Wshadow -Wconversion -Wno-sign-conversion -pedantic \
  -c "$src/rms_core.cpp" -o "$tmp/rms_core.o"
build "$CXX" "${flags[@]}" -I"$src" -c "$here/test_core.cpp" -o "$tmp/test_core.o"
# Arduino IDE with the 2.x core compiles sketches as gnu++11: keep the firmware valid there too.
build "$CXX" -std=gnu++11 -Wall -Wextra -Werror -fsyntax-only "$src/rms_core.cpp"
build "$CXX" -std=gnu++11 -Wall -Wextra -Werror -fsyntax-only -I"$here/stubs" "$src/main.cpp"
# main.cpp compiled against stubs/ (fake Arduino core) and run in a simulation.
build "$CXX" "${flags[@]}" -I"$here/stubs" -I"$src" -c "$here/test_main_sim.cpp" -o "$tmp/test_main_sim.o"
build "$CXX" "${flags[@]}" -c "$here/runner.cpp" -o "$tmp/runner.o"
build "$CXX" "$tmp/rms_core.o" "$tmp/test_core.o" "$tmp/test_main_sim.o" "$tmp/runner.o" -o "$tmp/tests" -lm

status=0
(cd "$tmp" && ./tests) || status=$?
exit "$status"
