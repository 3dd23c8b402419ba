#!/bin/sh
# install-cross-deps.sh — installs what the aarch64 cross build of the runtime
# and its qemu-run tests need on Debian 12 (as root, or with sudo), using apt
# only. Idempotent: does nothing when everything is already there.
#
# 1. Host packages: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user.
# 2. cmocka for arm64, the test framework the runtime tests link:
#    a. the normal way: enable Debian multiarch for arm64
#       (dpkg --add-architecture arm64), apt-get update, and
#       apt-get install libcmocka-dev:arm64 (pulls libcmocka0, libc6,
#       libgcc-s1 and gcc-12-base for arm64 into /usr/lib/aarch64-linux-gnu;
#       the cross gcc searches that directory, and qemu-aarch64 -L
#       /usr/aarch64-linux-gnu finds libcmocka.so.0 there at run time);
#    b. if the arm64 archive cannot be reached, it undoes the multiarch step
#       and builds cmocka from Debian's source package instead (downloaded
#       with apt-get source through a private deb-src list), cross-compiled
#       as a static library into /opt/gqc-cross/aarch64-linux-gnu, where
#       cmake/aarch64-linux-gnu.cmake looks too.
# Set GQC_CROSS_CMOCKA_FROM_SOURCE=1 to force (b) (used to test it).
set -eu

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PREFIX=/opt/gqc-cross/aarch64-linux-gnu
FORCE_SOURCE=${GQC_CROSS_CMOCKA_FROM_SOURCE:-0}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

# ---- 1. host tools --------------------------------------------------------
missing=""
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake ninja-build; do
  installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-cross-deps: installing:$missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  apt_install $missing
fi

# ---- 2a. cmocka from the arm64 archive ------------------------------------
if [ "$FORCE_SOURCE" != 1 ]; then
  installed libcmocka-dev:arm64 && exit 0
  [ -f "$PREFIX/lib/libcmocka.a" ] && exit 0 # built by an earlier run (2b)
  added_arch=0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "install-cross-deps: enabling the arm64 architecture (multiarch)"
    $SUDO dpkg --add-architecture arm64
    added_arch=1
  fi
  # An unrelated third-party source failing to update must not stop us: the
  # install below tells whether the arm64 package lists arrived.
  $SUDO apt-get update -qq || true
  if apt_install libcmocka-dev:arm64; then
    echo "install-cross-deps: installed libcmocka-dev:arm64"
    exit 0
  fi
  echo "install-cross-deps: libcmocka-dev:arm64 unavailable; building cmocka from source" >&2
  if [ "$added_arch" = 1 ]; then
    $SUDO dpkg --remove-architecture arm64 || true
    $SUDO apt-get update -qq || true
  fi
fi

# ---- 2b. cmocka from Debian's source package, cross-built -----------------
TOOLCHAIN=$(cd "$(dirname "$0")/.." && pwd)/cmake/aarch64-linux-gnu.cmake
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/src"
# A private apt configuration with just a deb-src line for bookworm, so the
# system's sources are left as they are.
echo "deb-src http://deb.debian.org/debian bookworm main" >"$WORK/sources.list"
APTOPT="-o Dir::Etc::SourceList=$WORK/sources.list -o Dir::Etc::SourceParts=/dev/null \
-o Dir::State::Lists=$WORK/lists -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $APTOPT update -qq
# shellcheck disable=SC2086
(cd "$WORK/src" && apt-get $APTOPT source --download-only cmocka)
tar -xf "$(ls "$WORK"/src/cmocka_*.orig.tar.* | grep -v "\.asc$" | head -n 1)" -C "$WORK/src"
SRC=$(find "$WORK/src" -maxdepth 1 -type d -name 'cmocka-*' | head -n 1)
cmake -S "$SRC" -B "$WORK/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" -DWITH_STATIC_LIB=ON \
  -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF -DPICKY_DEVELOPER=OFF >/dev/null
cmake --build "$WORK/build" -j2 >/dev/null
$SUDO cmake --install "$WORK/build" >/dev/null
# Keep only the static library, as libcmocka.a, so tests need no run-time
# library path under qemu.
$SUDO rm -f "$PREFIX"/lib/libcmocka.so*
if [ -f "$PREFIX/lib/libcmocka-static.a" ]; then
  $SUDO mv "$PREFIX/lib/libcmocka-static.a" "$PREFIX/lib/libcmocka.a"
fi
[ -f "$PREFIX/lib/libcmocka.a" ] || {
  echo "install-cross-deps: cmocka build did not produce libcmocka.a" >&2
  exit 1
}
echo "install-cross-deps: built cmocka into $PREFIX"
