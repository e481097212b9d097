/**
 * Where the loader looks for the native module (main/lib/addon-location.ts),
 * and what a process gets when no binary loads: a ShmError with code
 * ERR_NATIVE_MISSING that says what was tried and the ways out, at the
 * first call.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installApp, type App } from './package-app';

// Run in the app: the first call, and what it threw.
const FIRST_CALL = `
const { AnonMap, ShmError } = require('electron-shm');
try {
  AnonMap.create(4096).close();
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(JSON.stringify({ isShmError: error instanceof ShmError, code: error.code, message: error.message }));
}`;

interface Outcome {
  ok?: boolean;
  isShmError?: boolean;
  code?: string;
  message?: string;
}

function firstCall(app: App, cwd = app.dir, requireFrom?: string): Outcome {
  const script = requireFrom === undefined ? FIRST_CALL : FIRST_CALL.replace("require('electron-shm')", `require(${JSON.stringify(requireFrom)})`);
  const run = app.node(['-e', script], { cwd });
  assert.equal(run.status, 0, String(run.stderr));
  return JSON.parse(String(run.stdout).trim().split('\n').pop()!) as Outcome;
}

describe('the native module missing, misplaced or of another machine', () => {
  let app: App;
  let prebuilds: string;
  before(() => {
    // --ignore-scripts: nothing built; the package's own prebuilt binaries only.
    app = installApp('loader', ['--ignore-scripts']);
    prebuilds = path.join(app.dir, 'node_modules', 'electron-shm', 'prebuilds');
  });
  after(() => app?.remove());

  it(`Tests that the prebuilt binary (linux-${process.arch}) serves an install without scripts`, () => {
    assert.equal(fs.existsSync(path.join(app.dir, 'node_modules', 'electron-shm', 'build')), false, 'nothing was built');
    assert.deepEqual(firstCall(app), { ok: true });
  });

  it('Tests that with no binary for this machine the first call throws ERR_NATIVE_MISSING listing what was tried and the ways out', () => {
    const moved = `${prebuilds}.away`;
    fs.renameSync(prebuilds, moved);
    try {
      const outcome = firstCall(app);
      assert.equal(outcome.isShmError, true);
      assert.equal(outcome.code, 'ERR_NATIVE_MISSING');
      assert.match(outcome.message!, /build[\\/]Release[\\/]electron_shm\.node: not there/);
      assert.match(outcome.message!, new RegExp(`prebuilds[\\\\/]linux-${process.arch}[\\\\/]electron_shm\\.node: not there`));
      assert.match(outcome.message!, /--ignore-scripts/);
      assert.match(outcome.message!, /npm rebuild electron-shm/);
      assert.match(outcome.message!, /cmake, a C\+\+17 compiler and libuv/);
      assert.match(outcome.message!, /asarUnpack/);
    } finally {
      fs.renameSync(moved, prebuilds);
    }
  });

  it("Tests that a binary of another architecture in this machine's place is reported with the loader's own message", () => {
    const other = process.arch === 'arm64' ? 'x64' : 'arm64';
    const own = path.join(prebuilds, `linux-${process.arch}`, 'electron_shm.node');
    const kept = `${own}.kept`;
    fs.renameSync(own, kept);
    try {
      fs.copyFileSync(path.join(prebuilds, `linux-${other}`, 'electron_shm.node'), own);
      const outcome = firstCall(app);
      assert.equal(outcome.code, 'ERR_NATIVE_MISSING');
      assert.match(outcome.message!, /electron_shm\.node: .*(ELF|wrong|invalid|cannot)/i);
    } finally {
      fs.rmSync(own, { force: true });
      fs.renameSync(kept, own);
    }
  });

  it('Tests that inside an Electron app packed with asar the binary is found in app.asar.unpacked', () => {
    // An Electron app's resources: the package's code in app.asar (here a
    // directory of that name, which Node reads as any other), its binary
    // only in app.asar.unpacked, as electron-builder's asarUnpack leaves it.
    const resources = path.join(app.dir, 'resources');
    const packed = path.join(resources, 'app.asar', 'node_modules', 'electron-shm');
    const unpacked = path.join(resources, 'app.asar.unpacked', 'node_modules', 'electron-shm', 'prebuilds', `linux-${process.arch}`);
    fs.cpSync(path.join(app.dir, 'node_modules', 'electron-shm'), packed, { recursive: true, filter: (source) => !source.includes(`${path.sep}prebuilds`) });
    fs.mkdirSync(unpacked, { recursive: true });
    fs.copyFileSync(path.join(prebuilds, `linux-${process.arch}`, 'electron_shm.node'), path.join(unpacked, 'electron_shm.node'));
    assert.equal(fs.existsSync(path.join(packed, 'prebuilds')), false);
    assert.deepEqual(firstCall(app, resources, packed), { ok: true });
  });
});
