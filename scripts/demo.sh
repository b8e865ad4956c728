#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on the bundled demo
# data (for now: write the demo Parquet image store and show its metadata).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh -DMIMICIT_BUILD_TESTS=OFF
mkdir -p build/demo
store=$(build/mimicit demo build/demo)
build/mimicit parquet meta "$store"
