#!/usr/bin/env bash
# Runs a command (normally `npm install`) with the environment @u4/opencv4nodejs needs to
# build its native addon against Debian's OpenCV (libopencv-dev) instead of downloading and
# compiling OpenCV itself:
#
#   bash scripts/with-system-opencv.sh npm install --no-audit --no-fund
#   bash scripts/with-system-opencv.sh npm rebuild @u4/opencv4nodejs   (addon already unpacked)
#
# Why a wrapper: npm runs the package's implicit `node-gyp rebuild`, whose binding.gyp asks
# @u4/opencv-build for paths. That reads the "opencv4nodejs" section of the package.json in
# ITS OWN directory (not the repository's), so the root `disableAutoBuild` is not seen during
# `npm install`; without OPENCV4NODEJS_DISABLE_AUTOBUILD it git-clones OpenCV and tries to
# build it from source. Only environment variables reach it reliably.
#
# Paths come from pkg-config, so the multiarch lib dir (x86_64-linux-gnu, aarch64-linux-gnu,
# arm-linux-gnueabihf …) is never hard-coded. Without libopencv-dev the command still runs
# with auto-build disabled: the optional addon fails to build quickly, npm skips it and
# Mieruka uses the WASM backend (@techstark/opencv-js).
#
# The addon takes about 10 minutes to compile on 2 cores; JOBS (node-gyp's parallel jobs)
# defaults to one per core but at most one per GiB of memory (a 1 GiB Pi would swap).
set -euo pipefail

export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
if command -v pkg-config >/dev/null && pkg-config --exists opencv4; then
  OPENCV_INCLUDE_DIR="$(pkg-config --variable=includedir opencv4)"
  OPENCV_LIB_DIR="$(pkg-config --variable=libdir opencv4)"
  export OPENCV_INCLUDE_DIR OPENCV_LIB_DIR
  export OPENCV_BIN_DIR="${OPENCV_BIN_DIR:-/usr/bin}"
  if [ -z "${JOBS:-}" ]; then
    cores="$(nproc 2>/dev/null || echo 1)"
    mem_gib="$(awk '/^MemTotal:/ { printf "%d", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo 1)"
    [ "$mem_gib" -ge 1 ] || mem_gib=1
    JOBS=$((cores < mem_gib ? cores : mem_gib))
    export JOBS
  fi
  echo "with-system-opencv: OpenCV $(pkg-config --modversion opencv4), include ${OPENCV_INCLUDE_DIR}, lib ${OPENCV_LIB_DIR}, ${JOBS} job(s)" >&2
else
  echo "with-system-opencv: libopencv-dev not found (pkg-config opencv4); the native addon will be skipped and the WASM backend used" >&2
fi

if [ $# -gt 0 ]; then exec "$@"; fi
