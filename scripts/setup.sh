#!/usr/bin/env bash
# Installs everything mimicit's build, tests and benchmarks need, on a fresh
# Debian 12 machine (run as root). Idempotent: installs only what is missing,
# so a second run takes a second or two.
set -euo pipefail

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  zlib1g-dev libsnappy-dev libzstd-dev liblz4-dev libbrotli-dev libxxhash-dev
  libturbojpeg0-dev libjpeg62-turbo-dev libspng-dev libpng-dev libdeflate-dev libwebp-dev libgif-dev
  libtiff-dev libopenjp2-7-dev libavif-dev
  libyaml-cpp-dev libsimdjson-dev libcli11-dev libfmt-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format-14
  # Object storage (s3://, http(s)://): libcurl with OpenSSL; nginx serves Range reads in the tests.
  libcurl4-openssl-dev libssl-dev nginx-light
  # The viewer's browser tests (mimicit serve): headless Chromium driven by selenium.
  chromium chromium-driver
)

# Python packages: build tools, test runner, and the peers the tests compare
# against (never used by the C++ core).
PYTHON_PACKAGES=(
  "nanobind>=2.0" "scikit-build-core>=0.10" pytest hypothesis numpy
  pyarrow pandas "dask[distributed]" distributed duckdb polars pillow orjson selenium pyyaml
  # TIFF layouts Pillow does not write (tiles, planes, big-endian, predictors)
  tifffile
  # Hugging Face layout tests write shards with the real library
  datasets
  # Object storage tests: an S3-compatible server on loopback, and its client to upload
  "moto[server]" boto3
  # the demo dataset's photographs (scripts/make_demo_dataset.py)
  scikit-image
  # CPU build on the machine's disk; an unpinned torch pulls a multi-GB CUDA build.
  "torch==2.13.0"
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" - "${PYTHON_PACKAGES[@]}" <<'PY'
import sys
from importlib import metadata
import re
missing = []
for req in sys.argv[1:]:
    name = re.split(r"[<>=\[]", req)[0]
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        missing.append(req)
if missing:
    print("setup: missing Python packages:", " ".join(missing))
    sys.exit(1)
PY
then
  "$PYTHON" -m pip install -q --disable-pip-version-check "${PYTHON_PACKAGES[@]}"
fi
echo "setup: all dependencies present"
