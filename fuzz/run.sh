#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer, ASan+UBSan), writes their seed
# corpora and runs each for a while; fails on the first crash. See
# fuzz/README.md.
#
#   fuzz/run.sh                      # every target, MIMICIT_FUZZ_SECONDS (30) each
#   fuzz/run.sh image base64         # some targets (names without _fuzz)
#
# Environment:
#   MIMICIT_FUZZ_SECONDS  seconds per target (default 30)
#   MIMICIT_FUZZ_WORK     seeds, corpora and crash files (default fuzz/work, not in git)
#   MIMICIT_FUZZ_PARALLEL targets fuzzed at the same time (default: the number of cores)
#   MIMICIT_FUZZ_JOBS     fuzzing processes per target (libFuzzer -fork; default 1)
#   MIMICIT_FUZZ_NICE     niceness of the fuzzing processes (default 10)
#   MIMICIT_FUZZ_TIMEOUT  seconds (wall clock) one input may take (default 10; raise it
#                         for long campaigns at a high niceness on a busy machine, where
#                         a starved process makes slow-but-fine inputs time out)
#   BUILD_DIR             the clang build (default build-fuzz)
#   MIMICIT_TESTDATA      the shared test data the seeds come from
#
# A crash leaves its input in $MIMICIT_FUZZ_WORK/artifacts/<target>-crash-*;
# reproduce it with `$BUILD_DIR/<target>_fuzz <file>`, then add a regression
# test (tests/cpp/fuzz_regressions/).
set -euo pipefail
cd "$(dirname "$0")/.."
export MIMICIT_TESTDATA=${MIMICIT_TESTDATA:-$(cd .. && pwd)/shared/testdata}
SECONDS_PER_TARGET=${MIMICIT_FUZZ_SECONDS:-30}
WORK=${MIMICIT_FUZZ_WORK:-fuzz/work}
JOBS=${MIMICIT_FUZZ_JOBS:-1}
PARALLEL=${MIMICIT_FUZZ_PARALLEL:-$(nproc)}
NICE=${MIMICIT_FUZZ_NICE:-10}
TIMEOUT=${MIMICIT_FUZZ_TIMEOUT:-10}
BUILD_DIR=${BUILD_DIR:-build-fuzz}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in fuzz/*_fuzz.cc; do
    name=$(basename "$src" .cc)
    targets+=("${name%_fuzz}")
  done
fi

# -O1 -gline-tables-only: what libFuzzer recommends; full debug info would
# double the build time for no better stack traces. Asserts stay on.
build_start=$(date +%s)
launcher=()
if command -v ccache >/dev/null; then  # as scripts/build.sh: shared across clones
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DMIMICIT_BUILD_FUZZ=ON \
  -DMIMICIT_SANITIZE=address,undefined -DMIMICIT_BUILD_TESTS=OFF -DMIMICIT_BUILD_CLI=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"
echo "fuzz: build took $(( $(date +%s) - build_start )) s"

python3 fuzz/make_seeds.py "$WORK/seeds" >/dev/null
mkdir -p "$WORK/artifacts"

# One target: fuzz it, then write its summary line to $WORK/<target>.summary.
# -rss_limit_mb: more than 2 GB resident is a bug (an unbounded allocation);
# -timeout: one input taking more than 10 s is a hang; a thrown
# mimicit::Error is the right answer to bad input (fuzz/fuzz_util.h).
fuzz_one() {
  local t=$1 exe="$BUILD_DIR/${t}_fuzz" corpus="$WORK/corpus/${t}_fuzz" log="$WORK/${t}_fuzz.log"
  local dict=() fork=() rc=0
  case "$t" in
    json_index | instruction_json) dict=(-dict=fuzz/json.dict) ;;
    data_yaml) dict=(-dict=fuzz/yaml.dict) ;;
  esac
  [ "$JOBS" -gt 1 ] && fork=(-fork="$JOBS" -ignore_crashes=0)
  mkdir -p "$corpus"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1 \
    nice -n "$NICE" "$exe" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout="$TIMEOUT" \
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/${t}-" "${dict[@]}" "${fork[@]}" \
    "$corpus" "$WORK/seeds/${t}_fuzz" >"$log" 2>&1 || rc=$?
  local execs files line
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}' || true)
  files=$(find "$corpus" -type f | wc -l)
  line=$(printf '%-18s %10s execs %5s s %6s corpus files' "$t" "$execs" "$SECONDS_PER_TARGET" "$files")
  if [ "$rc" -ne 0 ]; then
    line="$line   FAILED (exit $rc, log $log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*Test unit written)' "$log" | head -5 >&2 || true
  fi
  echo "$line" >"$WORK/$t.summary"
  [ "$rc" -eq 0 ]
}

# Targets run PARALLEL at a time (each is one process, one core).
failed=0
running=0
for t in "${targets[@]}"; do
  echo "== fuzz $t (${SECONDS_PER_TARGET} s)"
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done

echo "== fuzz summary (executions, seconds, corpus size per target)"
for t in "${targets[@]}"; do cat "$WORK/$t.summary"; done
exit "$failed"
