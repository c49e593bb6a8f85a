#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (real peers, no fakes):
#   socat             real pty pairs for the serial bridge tests
#   mosquitto(-clients) interop tests and mosquitto_pub/sub
#   chromium          browser tests (playwright-core drives Debian's chromium)
#   fonts-ipafont-gothic Japanese glyphs in the browser tests' screenshots
#   g++ make python3  firmware host tests and native addons (better-sqlite3 builds from source
#                     when no prebuilt binary can be downloaded)
#   pkg-config        finds the system OpenCV's headers and libraries on any architecture
#   libopencv-dev     system OpenCV the optional native clutter backend (@u4/opencv4nodejs) is
#                     compiled against (scripts/with-system-opencv.sh); without it: WASM backend
#   python3-opencv    OpenCV's Python binding: the reference the clutter tests and benchmark
#                     compare against (run as /usr/bin/python3)
#   ffmpeg            camera capture of the clutter station (v4l2, HTTP snapshot, RTSP)
#   espeak-ng sox     the station's end-of-day voice (default TTS) and the test that checks it is not silent
#   faketime          scripts/test-at.sh runs the tests at a chosen date and time (month ends, DST)
#   postgresql        PostgreSQL 15's server and psql: the fleet store's tests start their own cluster in a
#                     temp dir on a free loopback port (test/helpers/postgres-server.ts), never the system one
#   redis-server      the fleet tests: two hubs sharing broker state through a real Redis
#                     (test/helpers/redis-server.ts starts its own on a free loopback port in a
#                     temp dir; the system service the package starts on 6379 is never used)
# Needs root or sudo. Does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(socat mosquitto mosquitto-clients openssl chromium fonts-ipafont-gothic g++ make python3 pkg-config libopencv-dev python3-opencv ffmpeg espeak-ng sox faketime postgresql redis-server)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${PACKAGES[*]})"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
  echo "missing Debian packages: ${missing[*]} — run this script as root or install sudo" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian package may start a system Mosquitto on port 1883; tests and the demo use their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
  echo "note: a system Mosquitto is running on port 1883; \`mieruka demo\` then needs --mqtt-port" >&2
fi
# Likewise a system Redis on 6379: harmless, the tests start their own (and use no fixed port).
