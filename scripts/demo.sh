#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on the bundled demo
# data: convert the demo images into a Parquet image store, then look at it
# (store statistics, one image back out, the Parquet footer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh -DMIMICIT_BUILD_TESTS=OFF
mkdir -p build/demo
store=$(build/mimicit demo build/demo)
echo "== image store: $store"
build/mimicit images stats "$store"
first=$(build/mimicit images ls "$store" --limit 1)
build/mimicit images get "$store" "$first" -o "build/demo/$first.img"
echo "== $first: $(stat -c %s "build/demo/$first.img") bytes written to build/demo/$first.img"
echo "== Parquet footer of $store/part.0.parquet"
build/mimicit parquet meta "$store/part.0.parquet"
