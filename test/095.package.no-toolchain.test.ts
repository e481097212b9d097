/**
 * A user's machine without a toolchain: the packed package is installed
 * (with its install script) into a fresh app in a mount namespace where
 * cmake, every C and C++ compiler and every C header are hidden. It must
 * install from its prebuilt binary, load, create, map, export and have
 * another process import.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, SLOWDOWN } from './helpers';
import { IN_BARE_NAMESPACE, installApp, type App } from './package-app';


describe('installing on a machine without a toolchain', () => {
  let app: App;
  before(() => {
    app = installApp('bare', [], IN_BARE_NAMESPACE);
  });
  after(() => app?.remove());

  it('Tests that the install uses the prebuilt binary and compiles nothing', () => {
    assert.match(app.installOutput, new RegExp(`electron-shm: using the prebuilt binary for linux-${process.arch}`));
    assert.equal(fs.existsSync(path.join(app.dir, 'node_modules', 'electron-shm', 'build')), false);
  });

  it('Tests that the installed package loads, creates, maps, exports, and another process imports, with no toolchain in sight', () => {
    const check = path.join(app.dir, 'check.js');
    fs.copyFileSync(path.join(FIXTURES, 'no-toolchain-check.js'), check);
    const run = spawnSync(IN_BARE_NAMESPACE[0]!, [...IN_BARE_NAMESPACE.slice(1), process.execPath, check], { cwd: app.dir, encoding: 'utf8', timeout: 30_000 * SLOWDOWN });
    assert.equal(run.status, 0, run.stderr);
    const outcome = JSON.parse(run.stdout.trim().split('\n').pop()!);
    assert.deepEqual(outcome, { childSaw: 42, parentSees: 43, childExit: 0, binary: path.join(app.dir, 'node_modules', 'electron-shm', 'dist', 'main', 'lib', 'index.js') });
  });

  it('Tests that without a prebuilt binary that fits, the install script says why and what a build from source needs, and fails there', () => {
    const prebuilds = path.join(app.dir, 'node_modules', 'electron-shm', 'prebuilds');
    fs.renameSync(prebuilds, `${prebuilds}.away`);
    try {
      const script = path.join(app.dir, 'node_modules', 'electron-shm', 'scripts', 'install.js');
      const run = spawnSync(IN_BARE_NAMESPACE[0]!, [...IN_BARE_NAMESPACE.slice(1), process.execPath, script], { encoding: 'utf8', timeout: 60_000 * SLOWDOWN });
      assert.notEqual(run.status, 0, 'a build without cmake and compilers succeeded');
      const said = run.stdout + run.stderr;
      assert.match(said, new RegExp(`no prebuilt binary for linux-${process.arch}`));
      assert.match(said, /needs cmake, a C\+\+17 compiler and libuv's headers/);
      assert.match(said, /the build from source failed/);
    } finally {
      fs.renameSync(`${prebuilds}.away`, prebuilds);
    }
  });

  it('Tests that the namespace hides cmake and the compilers', () => {
    const run = spawnSync(IN_BARE_NAMESPACE[0]!, [...IN_BARE_NAMESPACE.slice(1), 'sh', '-c', 'command -v cmake || command -v g++ || echo none'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'none');
  });
});
