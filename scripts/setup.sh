#!/usr/bin/env bash
# Sets up a fresh Debian or Ubuntu machine that has only Node.js and npm,
# then installs the npm packages:
#
#   bash scripts/setup.sh demo      what the build and the demo need, then npm ci
#   bash scripts/setup.sh test      that and what the tests need, then npm ci
#   bash scripts/setup.sh --print test
#                                   only print the Debian packages missing
#
# Debian packages are installed as root and only when missing: each is
# looked for by the command or file it provides, so a tool installed some
# other way counts. Not root: it says what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

print_only=0
if [ "${1:-}" = "--print" ]; then print_only=1; shift; fi
purpose=${1:-}
case $purpose in
  demo | test) ;;
  *) echo "usage: bash scripts/setup.sh [--print] demo|test" >&2; exit 2 ;;
esac

# "package what-it-provides" lines: a command name, or a file's path.
# The build of the native module (npm ci runs it where no prebuilt binary
# fits, as in a clone of the repository): cmake, Ninja, a C++17 compiler,
# and libuv's uv.h, unless the installed Node carries its headers.
build='
cmake cmake
ninja-build ninja
g++ g++
libuv1-dev uv.h
'
# The tests: GoogleTest for the core's; the arm64 binary's cross compiler
# and qemu-user, which runs the official arm64 Node on it;
# objdump for the binaries' symbol versions; Chromium for the demo's
# end-to-end tests; ffmpeg for the demo's --video; python3 for a peer that
# misbehaves and for Python's shared memory; NSPR (and pkg-config, which
# finds it) for a program of NSPR's named memory; util-linux and mount
# for the limit tests' namespaces and lowered limits.
tests='
libgtest-dev /usr/include/gtest/gtest.h
g++-aarch64-linux-gnu aarch64-linux-gnu-g++
qemu-user-static qemu-aarch64-static
binutils objdump
chromium /usr/bin/chromium
ffmpeg ffmpeg
python3 python3
libnspr4-dev /usr/include/nspr/prshm.h
pkg-config pkg-config
util-linux unshare
util-linux setpriv
util-linux prlimit
mount mount
'

node_include=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
present() {
  case $1 in
    uv.h) [ -e "$node_include/uv.h" ] || [ -e /usr/include/node/uv.h ] || [ -e /usr/include/uv.h ] ;;
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

wanted=$build
[ "$purpose" = test ] && wanted="$wanted$tests"
missing=$(echo "$wanted" | while read -r package provides; do
  if [ -n "$package" ] && ! present "$provides"; then echo "$package"; fi
done | sort -u | tr '\n' ' ')
missing=${missing% }

if [ "$print_only" = 1 ]; then
  [ -z "$missing" ] || echo "$missing"
  exit 0
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: $missing" >&2
    echo "setup: install them as root (apt-get install --no-install-recommends $missing), then run this again" >&2
    exit 1
  fi
  echo "setup: installing from Debian: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086 # one word per package
  apt-get install -y --no-install-recommends $missing
fi
npm ci
