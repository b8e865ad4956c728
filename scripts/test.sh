#!/usr/bin/env bash
# README command 2: set up, build, and run every test: the C++ suite (plain
# and under ASan+UBSan), then the Python suite against the installed module.
# Needs the shared test data: MIMICIT_TESTDATA (default ../shared/testdata).
set -euo pipefail
cd "$(dirname "$0")/.."
export MIMICIT_TESTDATA=${MIMICIT_TESTDATA:-$(cd .. && pwd)/shared/testdata}
if [ ! -d "$MIMICIT_TESTDATA/parquet-testing" ]; then
  echo "test: MIMICIT_TESTDATA=$MIMICIT_TESTDATA does not hold parquet-testing/" >&2
  exit 2
fi
scripts/setup.sh
# Each step prints the seconds since the start: the suite must stay under 20 min.
step() { echo "== [$SECONDS s] $*"; }

step "Layering: includes follow the module graph (scripts/check_layers.py)"
python3 scripts/check_layers.py

step "Format: the C++ tree as .clang-format has it (scripts/format.sh --check)"
scripts/format.sh --check

step "C++ build and tests (the benchmarks and fuzz targets are compiled too, not run)"
scripts/build.sh -DMIMICIT_BUILD_TESTS=ON -DMIMICIT_BUILD_BENCH=ON -DMIMICIT_BUILD_FUZZ_DRIVER=ON
MIMICIT_LARGE_TESTS=1 ctest --test-dir build --output-on-failure -j "$(nproc)"

step "Install: cmake --install build, then a consumer via find_package and via pkg-config"
tests/install/run.sh build

step "C++ tests under ASan+UBSan"
BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DMIMICIT_SANITIZE=address,undefined -DMIMICIT_BUILD_CLI=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

step "Concurrency tests under TSan (worker pool, store and JSON fetches, threaded check, loader)"
BUILD_DIR=build-tsan BUILD_TYPE=Debug scripts/build.sh -DMIMICIT_SANITIZE=thread -DMIMICIT_BUILD_CLI=OFF
MIMICIT_TESTDATA=$MIMICIT_TESTDATA TSAN_OPTIONS=halt_on_error=1 \
  build-tsan/mimicit_tests --gtest_filter='WorkerPool.*:*Concurrent*:*Check*:Loader*:DatasetProducer*'

step "Python module and tests"
# The module's build (scikit-build-core, build/python) through ccache too.
if command -v ccache >/dev/null; then
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) python3 -m pip install -q --disable-pip-version-check --no-build-isolation .
MIMICIT_BIN=$PWD/build/mimicit MIMICIT_ASAN_BIN=$PWD/build-asan/mimicit \
  python3 -m pytest -q --durations=10 tests/python

step "Wheel: scripts/wheel.sh, installed and run on Debian 12 without the -dev packages (tests/wheel/run.sh)"
# ~25 s once the Debian tree is cached in /var/cache/mimicit; the first run
# on a machine adds ~2 min (debootstrap and the tarball). Needs root (chroot).
if [ "$(id -u)" = 0 ]; then
  scripts/wheel.sh
  tests/wheel/run.sh
else
  echo "skipped: tests/wheel/run.sh needs root"
fi

# ---------------------------------------------------------------------------
step "Fuzzing: every fuzz/ target for ${MIMICIT_FUZZ_SECONDS:-20} s on its seed corpus (clang, libFuzzer, ASan+UBSan)"
# fuzz/README.md. Targets run side by side, one per core; any crash, leak,
# sanitizer report, hang (> 10 s) or RSS over 2 GB fails the run and leaves
# its input in fuzz/work/artifacts/. Prints the executions per target.
MIMICIT_FUZZ_SECONDS=${MIMICIT_FUZZ_SECONDS:-20} BUILD_DIR=build-fuzz fuzz/run.sh
step "all tests passed"
