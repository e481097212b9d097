#!/usr/bin/env bash
# The one test command (README, .ci/run): type checks, the C++ tests of the
# native core (ctest), the Node tests with real processes, the demo's
# end-to-end tests in Chromium (Playwright), and a last check that nothing
# of ours is left in /dev/shm. Run it after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# What npm does not provide: the C++ toolchain and GoogleTest, Chromium for
# the end-to-end tests, ffmpeg for the demo's --video, and util-linux's
# tools for the limit tests, from Debian.
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v g++ >/dev/null || missing+=(g++)
dpkg -s libgtest-dev >/dev/null 2>&1 || missing+=(libgtest-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# unshare, setpriv and prlimit run the limit tests in namespaces and with
# lowered limits of their own; mount gives them a small /dev/shm.
for tool in unshare setpriv prlimit; do command -v $tool >/dev/null || missing+=(util-linux); done
command -v mount >/dev/null || missing+=(mount)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing from Debian: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Not root: install them yourself (apt-get install ${missing[*]}) and run this again." >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(printf "%s\n" "${missing[@]}" | sort -u)
fi

echo "== TypeScript: build and type-check everything"
npx tsc -p tsconfig.build.json
npx tsc -p tsconfig.json
npx tsc -p tsconfig.renderer.json

echo "== C++: the native core (ctest)"
cmake -S . -B build-tests -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-tests
(cd build-tests && ctest --output-on-failure)

echo "== Node: the library with real processes and real shared memory"
node --import tsx --test test/*.test.ts

echo "== End to end: the demo in Chromium (Playwright); Electron where its binary exists"
npx playwright test -c e2e/playwright.config.ts

echo "== Leftovers in /dev/shm and System V"
left=$(ls /dev/shm | grep -E '^(eshm-test-|electron-shm-anon-)' || true)
if [ -n "$left" ]; then
  echo "The tests left these in /dev/shm:" >&2
  echo "$left" >&2
  exit 1
fi
# System V segments of the tests: keys 0x45000000 to 0x45ffffff.
left=$(awk 'NR > 1 && $1 >= 1157627904 && $1 <= 1174405119 { print "key " $1 ", id " $2 }' /proc/sysvipc/shm)
if [ -n "$left" ]; then
  echo "The tests left these System V segments:" >&2
  echo "$left" >&2
  exit 1
fi
echo "none"
