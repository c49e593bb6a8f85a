#!/usr/bin/env bash
# Builds the optional native OpenCV backend into edge/native/ (about 6–10 minutes on 2 cores):
# @u4/opencv4nodejs and edge/native/station (a few seconds), both against the system OpenCV.
# It lives apart from the main `npm install` on purpose: as a normal optional dependency its
# install script would, without OPENCV4NODEJS_DISABLE_AUTOBUILD in the environment, clone and
# compile all of OpenCV on any machine with git and cmake. Without libopencv-dev this script
# does nothing and Mieruka scores with the WASM backend (@techstark/opencv-js).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=edge/native
addon="$dir/node_modules/@u4/opencv4nodejs/build/Release/opencv4nodejs.node"
# Our own small addon for the station's per-frame pipeline (edge/native/station), rebuilt when its source changed.
kernel="$dir/station/build/Release/station.node"
if [ -f "$addon" ] && [ -f "$kernel" ] && [ "$kernel" -nt "$dir/station/station.cc" ] && [ "$kernel" -nt "$dir/station/binding.gyp" ]; then
  echo "native OpenCV backend: already built ($dir)"
  exit 0
fi
rm -rf "$dir/station/build"
if ! command -v pkg-config >/dev/null || ! pkg-config --exists opencv4; then
  echo "native OpenCV backend: skipped (no libopencv-dev); the WASM backend will be used"
  exit 0
fi
echo "native OpenCV backend: building against system OpenCV $(pkg-config --modversion opencv4) (several minutes)…"
if ! bash scripts/with-system-opencv.sh npm install --prefix "$dir" --no-audit --no-fund --no-package-lock; then
  echo "native OpenCV backend: build failed; the WASM backend will be used" >&2
fi
