import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedMemory, ShmError } from 'electron-shm';
import { spawn } from 'node:child_process';
import { finished, nodeArgs, report, runFixture, uniqueName } from './helpers';

describe('errors and where the module may load', () => {
  it('Tests that a failed system call is a ShmError with code, syscall and errno', () => {
    try {
      SharedMemory.open(uniqueName('missing'), 4096);
      assert.fail('opened a segment that does not exist');
    } catch (error) {
      assert.ok(error instanceof ShmError);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'ShmError');
      assert.equal(error.code, 'ENOENT');
      assert.equal(error.syscall, 'shm_open');
      assert.equal(error.errno, 2);
      assert.match(error.message, /shm_open/);
    }
  });

  it('Tests that running out of descriptors is EMFILE, and the same calls work once some are free', async () => {
    const limited = spawn('bash', ['-c', 'ulimit -n 256 && exec "$@"', 'bash', process.execPath, ...nodeArgs('fd-exhaustion.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await finished(limited);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(report(result), {
      exhausted: { create: 'EMFILE', importing: 'EMFILE' },
      recovered: { create: 'OK', importing: 'OK' },
    });
  });

  for (const type of ['renderer', 'worker']) {
    it(`Tests that loading the module in an Electron ${type} process throws ERR_RENDERER_PROCESS`, async () => {
      const result = await runFixture('renderer-guard.ts', [type]);
      const got = report<{ code?: string; message?: string }>(result);
      assert.equal(got.code, 'ERR_RENDERER_PROCESS');
      assert.match(got.message!, /main process or in a utility process/);
    });
  }

  for (const type of ['browser', 'utility']) {
    it(`Tests that the module loads in an Electron ${type} process`, async () => {
      const result = await runFixture('renderer-guard.ts', [type]);
      assert.deepEqual(report(result), { loaded: true });
    });
  }
});
