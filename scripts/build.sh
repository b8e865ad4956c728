#!/usr/bin/env bash
# Configures and builds mimicit into build/ (the CLI lands at build/mimicit).
# Extra arguments are passed to the CMake configure step.
#   BUILD_DIR=build-asan scripts/build.sh -DMIMICIT_SANITIZE=address,undefined
# Compiles through ccache when it is installed (scripts/setup.sh installs it):
# the suite builds the core several times (plain, sanitizers, Python), and a
# rebuild after a small change recompiles only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, and debug info not tied to the build
  # folder, so clones (CI's fresh one included) and worktrees share the cache.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "${LAUNCHER[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
