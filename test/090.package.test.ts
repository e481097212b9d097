import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '..');
const NAMES = ['AnonMap', 'importHandle', 'inheritedMap', 'spawnWithMaps', 'SharedMemory', 'ShmError'];

function run(args: string[]): string {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

describe('the package', () => {
  it('Tests that require("electron-shm") works from the repository root', () => {
    const code = `const m = require('electron-shm'); console.log(${JSON.stringify(NAMES)}.map((n) => typeof m[n]).join(','))`;
    assert.equal(run(['-e', code]), NAMES.map(() => 'function').join(','));
  });

  it('Tests that import { ... } from "electron-shm" works from the repository root', () => {
    const code = `import { ${NAMES.join(', ')} } from 'electron-shm'; console.log([${NAMES.join(', ')}].map((f) => typeof f).join(','))`;
    assert.equal(run(['--input-type=module', '-e', code]), NAMES.map(() => 'function').join(','));
  });
});
