#!/usr/bin/env bash
# The one test command (README, .ci/run): type checks, the C++ tests of the
# native core (ctest), the same again under AddressSanitizer and
# UndefinedBehaviorSanitizer with the fuzz targets (native/fuzz), the Node
# tests with real processes (the handle parser's fuzzing among them) on
# every runtime of the matrix (scripts/runtimes.js), the demo's end-to-end
# tests in Chromium (Playwright), and a last check that nothing of ours is
# left in /dev/shm or System V. Each stage runs even when an earlier one failed; a
# summary ends the run, and the exit status is 0 only if every stage passed.
# Run it after `bash scripts/setup.sh test` (README).
set -uo pipefail
cd "$(dirname "$0")/.."

# What npm does not provide (the toolchain, GoogleTest, Chromium, ffmpeg,
# util-linux's tools, from Debian) is installed by scripts/setup.sh, the
# first half of the README's test command; here it is only checked.
missing=$(bash scripts/setup.sh --print test) || exit 1
if [ -n "$missing" ]; then
  echo "Missing Debian packages: $missing. Run: bash scripts/setup.sh test (as root), then npm test." >&2
  exit 1
fi

summary=()
failed=0
counts=''
stages=0
# Each stage's whole output goes to a log of its own; each runner also
# leaves its results in a machine-readable file, from which
# scripts/test-summary.js makes the end of the run: the failed tests with
# their first error line, the skipped ones with their reasons, one total.
LOGS=$PWD/test-results/logs
RESULTS=$PWD/test-results/results
rm -rf "$LOGS" "$RESULTS"
mkdir -p "$LOGS" "$RESULTS"

# stage NAME COMMAND...: runs one stage, its output to its log, and records
# its outcome, its time and its test counts: a Node suite's from its TAP
# copy (node_suite sets them), ctest's and Playwright's from their logs.
# A failed stage shows the end of its log here.
stage() {
  local name=$1 start=$SECONDS status=ok log
  shift
  stages=$((stages + 1))
  log=$LOGS/$(printf '%02d' $stages)-$(echo "$name" | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9.' '-' | cut -c1-60 | sed 's/-$//').log
  echo "== $name"
  counts=''
  "$@" > "$log" 2>&1 || { status=FAILED; failed=1; }
  [ -n "$counts" ] || counts=$(grep -ohE '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+|^ +[0-9]+ (passed|failed|flaky|skipped|did not run)' "$log" | sed 's/^ *//' | paste -sd';' | sed 's/;/; /g')
  local line
  line=$(printf '  %-6s %5ss  %s%s' "$status" $((SECONDS - start)) "$name" "${counts:+: $counts}")
  summary+=("$line")
  echo "$line"
  echo "         log: ${log#"$PWD"/}"
  if [ "$status" = FAILED ]; then
    tail -n 30 "$log" | sed 's/^/         | /'
  fi
}

typescript() {
  npx tsc -p tsconfig.build.json && npx tsc -p tsconfig.json && npx tsc -p tsconfig.electron-latest.json && npx tsc -p tsconfig.renderer.json
}

cpp() {
  cmake -S . -B build-tests -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build build-tests && (cd build-tests && ctest --output-on-failure --output-junit "$RESULTS/ctest.junit.xml")
}

# The core's tests again, and the fuzz targets, built with AddressSanitizer
# and UndefinedBehaviorSanitizer (CMakeLists.txt, ESHM_SANITIZE): every
# report, a leak included, ends its test with a failure. The fuzz targets
# try a fixed seed's inputs; ESHM_FUZZ_SEED=random (printed) and
# ESHM_FUZZ_RUNS change that (native/fuzz/README.md).
cpp_sanitized() {
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DESHM_SANITIZE=ON >/dev/null && cmake --build build-asan &&
    (cd build-asan &&
      ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:handle_abort=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:strict_string_checks=1 \
      UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
      ctest --output-on-failure --output-junit "$RESULTS/ctest-sanitizers.junit.xml")
}

# node_suite NODE LABEL [V8 FLAGS...]: the whole Node suite on one runtime,
# in full detail to the log (spec), its results as TAP into LABEL.tap,
# which also gives the counts. No test may take 3 minutes: a hang is a
# failure, not a stuck run. Two files at a time: most of a file's time is
# spent waiting for the processes it starts, and on two cores Node's
# default would run one.
node_suite() {
  local node=$1 tap=$RESULTS/$2.tap
  shift 2
  "$node" "$@" --import tsx --test --test-concurrency=2 --test-timeout=180000 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" test/*.test.ts
  local status=$?
  counts=$(awk '/^# (pass|fail|skipped|todo|cancelled) / { printf "%s%s %s", sep, $3, $2; sep = ", " }' "$tap")
  return $status
}

# The suite under Chromium's V8 setting, where the SharedArrayBuffer global
# is left out: for the test tooling too, so esbuild's synchronous API
# (tsx's compiler) is told to run the esbuild binary per call instead of a
# worker it waits for with Atomics.wait on a SharedArrayBuffer. The library
# itself gets no help.
without_sab_global() {
  ESBUILD_WORKER_THREADS=0 node_suite "$1" "$2" --enable-sharedarraybuffer-per-context
}

# emulated_suite VERSION: every test file under scripts/test-emulated.sh,
# its TAP into the results for the summary and the counts.
emulated_suite() {
  local tap=$RESULTS/node-$1-arm64-qemu.tap
  bash scripts/test-emulated.sh --all --tap "$tap"
  local status=$?
  counts=$(awk '/^# (pass|fail|skipped|todo|cancelled) / { printf "%s%s %s", sep, $3, $2; sep = ", " }' "$tap")
  return $status
}

leftovers() {
  local left
  left=$(ls /dev/shm | grep -E '^(eshm-test-|electron-shm-anon-)' || true)
  if [ -n "$left" ]; then
    printf 'The tests left these in /dev/shm:\n%s\n' "$left" >&2
    return 1
  fi
  # System V segments of the tests: keys 0x45000000 to 0x45ffffff.
  left=$(awk 'NR > 1 && $1 >= 1157627904 && $1 <= 1174405119 { print "key " $1 ", id " $2 }' /proc/sysvipc/shm)
  if [ -n "$left" ]; then
    printf 'The tests left these System V segments:\n%s\n' "$left" >&2
    return 1
  fi
  echo "none"
}

stage "TypeScript: build, type-check (Electron $(node -p "require('electron/package.json').version") and $(node -p "require('electron-latest/package.json').version"))" typescript
stage "C++: the native core (ctest)" cpp
# The binaries the package ships (scripts/prebuild.js): linux-x64, and
# linux-arm64 cross-compiled; test/091 checks what they need of the system.
stage "Prebuilt binaries: linux-x64 and linux-arm64 (cross-compiled)" node scripts/prebuild.js
stage "C++ under AddressSanitizer and UndefinedBehaviorSanitizer: the native core and its fuzz targets (ctest)" cpp_sanitized

# The runtimes, primary first: "VERSION PATH" lines.
runtimes=()
fetch_runtimes() {
  local lines
  lines=$(node scripts/runtimes.js fetch) || return 1
  mapfile -t runtimes <<< "$lines"
  printf '%s\n' "${runtimes[@]}"
}
stage "Node runtimes: official binaries from the npm registry, cached in .cache/runtimes" fetch_runtimes

if [ ${#runtimes[@]} -gt 0 ]; then
  primary_version=${runtimes[0]%% *}
  primary_node=${runtimes[0]#* }
  # The primary runtime, Node 24, the one inside Electron 40 and later: the
  # whole suite, in full detail; then once more under Chromium's V8
  # setting, where the SharedArrayBuffer global is left out, as in
  # Electron's renderers (and perhaps its main and utility processes: not
  # verifiable without an Electron binary).
  stage "Node $primary_version (primary, inside Electron 40+)" node_suite "$primary_node" "node-$primary_version"
  stage "Node $primary_version, --enable-sharedarraybuffer-per-context" without_sab_global "$primary_node" "node-$primary_version-sab-per-context"
  for runtime in "${runtimes[@]:1}"; do
    stage "Node ${runtime%% *}" node_suite "${runtime#* }" "node-${runtime%% *}"
  done
  # The arm64 prebuilt binary, under qemu-user with the official arm64 Node.
  stage "Node $primary_version arm64 under qemu: the arm64 prebuilt binary, every test file" emulated_suite "$primary_version"
  # Playwright's JSON report (e2e/playwright.config.ts) goes to RESULTS.
  stage "End to end on Node $primary_version: the demo in Chromium; Electron where its binary exists" \
    env ESHM_RESULTS_DIR="$RESULTS" "$primary_node" node_modules/@playwright/test/cli.js test -c e2e/playwright.config.ts
fi
stage "Leftovers in /dev/shm and System V" leftovers

echo
echo "== Summary (logs in ${LOGS#"$PWD"/})"
printf '%s\n' "${summary[@]}"
node scripts/test-summary.js "$RESULTS" || failed=1
[ "$failed" -eq 0 ] && echo "All stages passed." || echo "SOME STAGES FAILED."
exit "$failed"
