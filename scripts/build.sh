#!/usr/bin/env bash
# Configures and builds mimicit into build/ (the CLI lands at build/mimicit).
# Extra arguments are passed to the CMake configure step.
#   BUILD_DIR=build-asan scripts/build.sh -DMIMICIT_SANITIZE=address,undefined
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
