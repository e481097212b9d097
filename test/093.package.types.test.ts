/**
 * The package's declarations compile under `tsc --strict` in a fresh
 * TypeScript app: with TypeScript's defaults, which take every installed
 * @types package, and with `"types": []`, which takes none unless a
 * declaration asks (ours ask for @types/node, a dependency of the package).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installApp, ROOT, type App } from './package-app';

// A tool of this machine, run as its own executable (the node in PATH runs
// its launcher): TypeScript's compiler is a native binary of the machine's
// architecture, whatever runtime runs this test (under emulation, arm64).
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

// Every public export, used as a value or a type.
const APP_SOURCE = `import * as shm from 'electron-shm';
import type { AnonMapOptions, FrameChannelOptions, ShmErrorCode, SpawnWithMapsOptions, UtilityChild } from 'electron-shm';

export function demo(options: AnonMapOptions, channel: FrameChannelOptions, spawn: SpawnWithMapsOptions, child: UtilityChild): unknown[] {
  const map: shm.AnonMap = shm.AnonMap.create(4096, options);
  const code: ShmErrorCode = 'ERR_NATIVE_MISSING';
  return [map.map().bytes, code, shm.FrameChannel.create(channel), spawn, child.pid, shm.limits(), new shm.ShmError('ENOENT', 'x')];
}
`;

describe('the types in a fresh TypeScript app', () => {
  let app: App;
  before(() => {
    app = installApp('types', ['--ignore-scripts']);
    fs.writeFileSync(path.join(app.dir, 'app.ts'), APP_SOURCE);
  });
  after(() => app?.remove());

  for (const [title, types] of [
    ['TypeScript takes every installed @types package', undefined],
    ['the app takes no @types package ("types": [])', []],
  ] as const) {
    it(`Tests that tsc --strict compiles the app when ${title}`, () => {
      const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', target: 'es2022', ...(types ? { types } : {}) };
      fs.writeFileSync(path.join(app.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
      const run = spawnSync(TSC, ['-p', app.dir], { cwd: app.dir, encoding: 'utf8' });
      assert.equal(run.status, 0, `tsc: ${run.stdout}${run.stderr}`);
    });
  }

  it('Tests that the check can fail: a type error in the app is reported', () => {
    fs.writeFileSync(path.join(app.dir, 'bad.ts'), "import { AnonMap } from 'electron-shm';\nexport const n: number = AnonMap.create(1);\n");
    fs.writeFileSync(path.join(app.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext' }, files: ['bad.ts'] }));
    const run = spawnSync(TSC, ['-p', app.dir], { cwd: app.dir, encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.match(run.stdout, /bad\.ts/);
  });
});
