import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AnonMap, MAX_MAP_SIZE, ShmError } from 'electron-shm';
import { report, runFixture, sharedMappings, throwsCode } from './helpers';

describe('AnonMap.create', () => {
  it('Tests that a new map is zeroed, memfd-backed and of the asked size', () => {
    const map = AnonMap.create(12345);
    try {
      assert.equal(map.size, 12345);
      assert.equal(map.readOnly, false);
      assert.equal(map.backing, 'memfd');
      const view = map.map();
      assert.equal(view.length, 12345);
      assert.ok(view.bytes.every((b) => b === 0));
    } finally {
      map.close();
    }
  });

  it('Tests that the memory never has a name in any filesystem', () => {
    const before = fs.readdirSync('/dev/shm');
    const map = AnonMap.create(4096);
    try {
      map.map();
      assert.deepEqual(fs.readdirSync('/dev/shm'), before);
      assert.ok(sharedMappings().every((line) => line.includes('memfd:electron-shm') && line.includes('(deleted)')));
    } finally {
      map.close();
    }
  });

  it('Tests that sizes that are not whole positive numbers within the limit are refused', () => {
    throwsCode(() => AnonMap.create(0), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => AnonMap.create(-1), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => AnonMap.create(1.5), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => AnonMap.create(NaN), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => AnonMap.create(Infinity), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => AnonMap.create(MAX_MAP_SIZE + 1), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => AnonMap.create('4096' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => AnonMap.create(undefined as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError);
  });

  it('Tests that bad options are refused by name', () => {
    throwsCode(() => AnonMap.create(4096, 'dir' as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => AnonMap.create(4096, { dir: 7 } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => AnonMap.create(4096, { directory: '/tmp' } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
  });

  it('Tests that a map whose memfd is refused is backed by an unlinked file in dir', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eshm-test-dir-'));
    try {
      const result = await runFixture('file-fallback.ts', [dir], { env: { ...process.env, ELECTRON_SHM_DISABLE_MEMFD: '1' } });
      assert.equal(result.code, 0, result.stderr);
      const got = report<{ backing: string; entries: string[]; readBack: number; readOnlyExport: string; missingDir: string }>(result);
      assert.equal(got.backing, 'file');
      assert.deepEqual(got.entries, []);
      assert.equal(got.readBack, 77);
      assert.equal(got.readOnlyExport, 'ENOTSUP');
      assert.equal(got.missingDir, 'ENOENT');
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Tests that a closed map refuses every use with ERR_CLOSED and closing again is harmless', () => {
    const map = AnonMap.create(4096);
    map.close();
    map.close();
    assert.equal(map.closed, true);
    throwsCode(() => map.map(), 'ERR_CLOSED', ShmError);
    throwsCode(() => map.exportHandle(), 'ERR_CLOSED', ShmError);
    throwsCode(() => map.backing, 'ERR_CLOSED', ShmError);
  });
});
