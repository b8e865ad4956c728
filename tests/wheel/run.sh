#!/usr/bin/env bash
# Installs the wheel scripts/wheel.sh built (dist/mimicit-*manylinux*.whl, or
# the one given) on a Debian 12 that has none of the -dev packages: a
# debootstrap minbase chroot with python3 and python3-venv only. There, in a
# fresh virtual environment, `pip install WHEEL` (numpy from PyPI), then
# smoke.py: `mimicit --help`, `mimicit images get`, an ImageStore get and a
# Loader batch on a tiny store made inside.
#
#   tests/wheel/run.sh [WHEEL]
#
# Needs root (chroot, mount) and the network (Debian's mirror the first
# time, PyPI for numpy). The Debian tree is cached as a tarball in
# $MIMICIT_WHEEL_CACHE (default /var/cache/mimicit): a second run only
# unpacks, installs and tests.
set -euo pipefail
given=${1:+$(realpath "$1")}
cd "$(dirname "$0")/../.."
CACHE=${MIMICIT_WHEEL_CACHE:-/var/cache/mimicit}
PACKAGES=python3,python3-venv,ca-certificates
TARBALL=$CACHE/debian12-minbase-python3.tar.zst
step() { echo "== [$SECONDS s] $*"; }

wheel=${given:-$(ls -t dist/mimicit-*manylinux*.whl 2>/dev/null | head -1)}
if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
  echo "wheel test: no wheel (run scripts/wheel.sh first, or give one)" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "wheel test: needs root (chroot)" >&2
  exit 2
fi
mkdir -p "$CACHE"

if [ ! -f "$TARBALL" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  # The mirror apt uses here (first URIs of the Debian sources), else deb.debian.org.
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  fresh=$(mktemp -d "$CACHE/debootstrap.XXXXXX")
  step "debootstrap bookworm ($PACKAGES) from $mirror"
  debootstrap --variant=minbase --include="$PACKAGES" bookworm "$fresh" "$mirror" >"$fresh.log" 2>&1 ||
    { tail -20 "$fresh.log" >&2; exit 1; }
  rm -f "$fresh"/var/cache/apt/archives/*.deb
  step "caching the tree as $TARBALL"
  tar -C "$fresh" --zstd -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$fresh" "$fresh.log"
fi

root=$(mktemp -d /tmp/mimicit-wheel-test.XXXXXX)
cleanup() {
  if mountpoint -q "$root/proc"; then umount "$root/proc"; fi
  rm -rf "$root"
}
trap cleanup EXIT
step "unpacking Debian 12 into $root"
tar -C "$root" --zstd -xf "$TARBALL"
# No development files: the wheel must bring every library it links.
if chroot "$root" dpkg-query -W -f '${Package}\n' | grep -- '-dev$'; then
  echo "wheel test: the chroot has -dev packages" >&2
  exit 1
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mkdir -p "$root/wheel"
cp "$wheel" tests/wheel/smoke.py "$root/wheel/"
# The certificates this machine's pip trusts (a proxy's CA may be among them).
ca=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
cp "$ca" "$root/wheel/ca.crt"

step "venv, pip install $(basename "$wheel")"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 PIP_CERT=/wheel/ca.crt /bin/sh -eu -c "
  python3 -m venv /venv
  /venv/bin/pip install -q --disable-pip-version-check /wheel/$(basename "$wheel")"
step "smoke test in the chroot"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/venv/bin:/usr/bin:/bin LANG=C.UTF-8 \
  /venv/bin/python /wheel/smoke.py /tmp/smoke
step "wheel test passed"
