#!/usr/bin/env bash
# The install test: installs a configured and built tree (default build/)
# into a temporary prefix, then builds tests/install/consumer.cc against it
# twice, with find_package(mimicit) + CMake and with pkg-config + g++, and
# runs both. Nothing is read from the source tree but the consumer.
#   tests/install/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
# Runs a command quietly; prints its output when it fails.
quiet() { "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; echo "install test: failed: $*" >&2; exit 1; }; }

quiet cmake --install "$BUILD_DIR" --prefix "$prefix"
test -x "$prefix/bin/mimicit"
"$prefix/bin/mimicit" --version

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
quiet cmake -S tests/install -B "$tmp/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}"
quiet cmake --build "$tmp/cmake-build"
"$tmp/cmake-build/consumer" "$tmp/cmake.parquet"

# The libraries are static: --static adds their private dependencies
# (Requires.private, Libs.private).
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name mimicit.pc)")
quiet g++ -std=c++20 -O1 tests/install/consumer.cc -o "$tmp/consumer-pc" \
  $(pkg-config --cflags mimicit) $(pkg-config --static --libs mimicit)
"$tmp/consumer-pc" "$tmp/pkg-config.parquet"
echo "install test: find_package(mimicit) and pkg-config mimicit both build and run"
