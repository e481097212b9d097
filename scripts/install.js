#!/usr/bin/env node
// The package's install script. The prebuilt binary of this platform and
// architecture (prebuilds/, made by scripts/prebuild.js) is used when it
// loads here: nothing is compiled. Otherwise (and always in a clone of the
// repository) the module is built from source with cmake-js, after saying
// why and what that needs. The loader
// (main/lib/addon-location.ts) takes a binary built here before a prebuilt one.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const target = `${process.platform}-${process.arch}`;
const prebuilt = path.join(ROOT, 'prebuilds', target, 'electron_shm.node');
const NEEDS =
  "a build from source needs cmake, a C++17 compiler and libuv's headers " +
  '(Debian and Ubuntu: apt-get install cmake g++ libuv1-dev)';

/** Why the prebuilt binary does not fit here, or null when it loads. */
function misfit() {
  // In a clone of the repository the sources may be newer than any binary
  // in prebuilds/ (scripts/prebuild.js made them earlier): always build.
  if (fs.existsSync(path.join(ROOT, '.git'))) return 'a clone of the repository';
  if (!fs.existsSync(prebuilt)) return `no prebuilt binary for ${target} (there are: linux-x64 and linux-arm64, glibc 2.28 or later)`;
  // Loaded in a child process: a binary that needs a newer glibc, or
  // another architecture's, fails there, not in npm.
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(prebuilt)})`], { encoding: 'utf8' });
  if (probe.status === 0) return null;
  const why = (probe.stderr || probe.error?.message || `exit status ${probe.status}`).split('\n').find((line) => /Error|error:/.test(line));
  return `the prebuilt binary for ${target} does not load here (${(why ?? probe.stderr).trim()})`;
}

const reason = misfit();
if (reason === null) {
  console.log(`electron-shm: using the prebuilt binary for ${target}`);
  process.exit(0);
}
console.log(`electron-shm: ${reason}; building from source with cmake-js: ${NEEDS}.`);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [ROOT] });
// `build`, not `compile`: compile answers a failure with a clean rebuild,
// which prints the same error twice.
const build = spawnSync(process.execPath, [cmakeJs, 'build', '--log-level', 'warn'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(`electron-shm: the build from source failed (${reason}); ${NEEDS}. Then run npm rebuild electron-shm.`);
  process.exit(build.status ?? 1);
}
