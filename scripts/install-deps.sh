#!/bin/sh
# install-deps.sh — installs everything gqc needs on Debian 12 (as root, or
# with sudo when not root). Idempotent: skips apt when all packages exist.
set -eu
PKGS="build-essential cmake ninja-build flex bison llvm-dev clang libclang-rt-dev \
libcmocka-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user python3 graphviz"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# The arm64 libraries the aarch64 tests link (cmocka), for runs under qemu.
"$(dirname "$0")/install-cross-deps.sh"
