#!/usr/bin/env node
// Builds the prebuilt Node-API binaries the package ships:
//
//   node scripts/prebuild.js             both: prebuilds/linux-x64 and prebuilds/linux-arm64
//   node scripts/prebuild.js arm64       one (x64 or arm64)
//
// Each lands in prebuilds/linux-<arch>/electron_shm.node (never committed).
// The binary that does not match the build machine is cross-compiled: arm64
// on an x64 machine with Debian's g++-aarch64-linux-gnu through
// cmake/aarch64-linux-gnu.cmake. Each architecture keeps its own CMake build
// directory, build-prebuild/<arch>, so a second run only rebuilds what
// changed. Node-API needs no Node headers download: cmake-js takes them from
// the node-api-headers package.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const ARCHES = ['x64', 'arm64'];
// A cross toolchain per target, for builds on a machine of another
// architecture (none for x64 yet: nobody builds the x64 binary on arm64).
const CROSS_TOOLCHAINS = { arm64: path.join(ROOT, 'cmake', 'aarch64-linux-gnu.cmake') };
const ELF_MACHINES = { x64: 'x86-64', arm64: 'AArch64' };

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

/**
 * A directory holding only uv.h and uv/, copied from the first place that has
 * them. The addon includes uv.h for its uv_poll watcher; libuv's headers are
 * the same for every architecture, but the directory that holds them may not
 * be: Debian's libuv1-dev puts them straight in /usr/include, which must never
 * be on a cross compiler's include path (the build machine's own libc
 * headers). A copy of just libuv's headers is safe for both builds.
 */
function stageUvHeaders() {
  const candidates = [
    path.resolve(process.execPath, '../../include/node'),  // official Node binaries
    '/usr/include/node',                                    // Debian/NodeSource nodejs
    '/usr/include',                                         // Debian libuv1-dev
  ];
  const from = candidates.find((dir) => fs.existsSync(path.join(dir, 'uv.h')) && fs.existsSync(path.join(dir, 'uv')));
  if (from === undefined) {
    fail(`uv.h not found in ${candidates.join(', ')}: install Node.js with its headers, or libuv1-dev (apt-get install libuv1-dev)`);
  }
  const to = path.join(ROOT, 'build-prebuild', 'uv-include');
  fs.mkdirSync(to, { recursive: true });
  // Copied only when changed, so that the builds' dependency tracking does
  // not see new headers (and rebuild) on every run.
  copyIfChanged(path.join(from, 'uv.h'), path.join(to, 'uv.h'));
  fs.mkdirSync(path.join(to, 'uv'), { recursive: true });
  for (const name of fs.readdirSync(path.join(from, 'uv'))) {
    copyIfChanged(path.join(from, 'uv', name), path.join(to, 'uv', name));
  }
  return to;
}

function copyIfChanged(from, to) {
  const content = fs.readFileSync(from);
  if (fs.existsSync(to) && fs.readFileSync(to).equals(content)) return;
  fs.writeFileSync(to, content);
}

/** The CMake arguments that make `arch`'s binary on this machine. */
function toolchainArgs(arch) {
  if (arch === process.arch) return [];
  const toolchain = CROSS_TOOLCHAINS[arch];
  if (toolchain === undefined) fail(`cannot build the ${arch} binary on a ${process.arch} machine (no cross toolchain file)`);
  return [`--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`];
}

function build(arch, uvInclude) {
  const started = Date.now();
  const out = path.join(ROOT, 'build-prebuild', arch);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [ROOT] });
  // `build`, not `compile`: compile answers a failure with a clean rebuild,
  // which prints the same error twice and throws the build directory away.
  const args = [cmakeJs, 'build', '--log-level', 'warn', '--out', out, '--arch', arch,
    `--CDUV_INCLUDE_DIR=${uvInclude}`, ...toolchainArgs(arch)];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    fail(`the ${arch} build failed (${result.error?.message ?? `exit status ${result.status}`}); build directory ${path.relative(ROOT, out)}`);
  }

  const built = path.join(out, 'Release', 'electron_shm.node');
  const dest = path.join(ROOT, 'prebuilds', `linux-${arch}`, 'electron_shm.node');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  // Renamed into place: a loader reading prebuilds/ meanwhile sees the old
  // binary or the new one, never half of one.
  const partial = `${dest}.partial`;
  fs.copyFileSync(built, partial);
  fs.renameSync(partial, dest);

  const kib = Math.round(fs.statSync(dest).size / 1024);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`prebuild: ${path.relative(ROOT, dest)} (linux-${arch}, ${ELF_MACHINES[arch]}, ${kib} KiB, ${seconds} s)`);
}

function main() {
  if (process.platform !== 'linux') fail(`prebuilt binaries are built on Linux, not ${process.platform}`);
  const requested = process.argv.slice(2);
  for (const arch of requested) {
    if (!ARCHES.includes(arch)) fail(`unknown architecture "${arch}"; expected one of: ${ARCHES.join(', ')}`);
  }
  const uvInclude = stageUvHeaders();
  for (const arch of requested.length > 0 ? requested : ARCHES) build(arch, uvInclude);
}

main();
