/**
 * SharedMemory's `compat: 'nspr'` against a program that uses NSPR 4.x
 * itself (native/tests/nspr_peer.cc, built against Debian's libnspr4-dev):
 * each side creates, the other attaches, and each side deletes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SharedMemory, ShmError, SysVSegment } from 'electron-shm';
import { finished, throwsCode, uniqueName } from './helpers';

const PEER = path.join(__dirname, '..', 'build-tests', 'native', 'tests', 'nspr_peer');
const NSPR = { compat: 'nspr' } as const;
const NSPR_PROJECT_ID = 0x62; // 'b', NSPR's for shared memory

function nsprPeer(args: string[]) {
  assert.ok(fs.existsSync(PEER), `${PEER} is built by scripts/test-all.sh (cmake --build build-tests)`);
  return spawn(PEER, args, { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh path for a segment's file, removed (with its segment) after `body`. */
function withPath(body: (name: string) => Promise<void> | void) {
  return async () => {
    const name = path.join(os.tmpdir(), uniqueName('nspr'));
    try {
      await body(name);
    } finally {
      try {
        SharedMemory.unlink(name, NSPR);
      } catch {
        // deleted by the test, as it should be
      }
      fs.rmSync(name, { force: true });
    }
  };
}

function text(bytes: Uint8Array, offset: number): string {
  const end = bytes.indexOf(0, offset);
  return new TextDecoder().decode(bytes.subarray(offset, end));
}

/** Whether the segment of `name` is gone (or its file, which names it). */
function segmentGone(name: string): boolean {
  try {
    SysVSegment.open(name, { projectId: NSPR_PROJECT_ID, mode: 0 });
    return false;
  } catch (error) {
    assert.equal((error as ShmError).code, 'ENOENT');
    return true;
  }
}

describe('SharedMemory with NSPR', () => {
  it('Tests that a segment an NSPR program created is attached here by name, shared both ways, and gone once NSPR deletes it', withPath(async (name) => {
    const peer = nsprPeer(['create', name, '8192']);
    const ended = finished(peer);
    try {
      await new Promise<void>((resolve) => peer.stdout!.once('data', () => resolve()));
      const shm = SharedMemory.open(name, 8192, NSPR);
      assert.equal(shm.compat, 'nspr');
      assert.equal(shm.created, false);
      assert.equal(shm.name, name);
      const view = shm.attach();
      assert.equal(text(view.bytes, 0), 'from nspr');
      new TextEncoder().encodeInto('from node', view.bytes.subarray(16));
      peer.stdin!.end('\n');
      const result = await ended;
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout, 'ready\nfrom node\ndeleted\n');
      assert.equal(fs.existsSync(name), false, 'NSPR removed the file');
      assert.ok(segmentGone(name));
      view.bytes[100] = 1;
      assert.equal(view.bytes[100], 1, 'the memory lives on while attached here');
      shm.close();
    } finally {
      peer.kill();
    }
  }));

  it('Tests that a segment created here is attached by the NSPR program, and unlink removes segment and file', withPath(async (name) => {
    const shm = SharedMemory.open(name, 8192, { ...NSPR, create: true, exclusive: true, mode: 0o640 });
    try {
      assert.equal(shm.created, true);
      assert.ok(fs.statSync(name).isFile(), 'the key file, as NSPR makes it');
      assert.equal(shm.stat().mode, 0o640, 'the segment has the mode asked for');
      assert.equal(shm.stat().size, 8192);
      const view = shm.attach();
      new TextEncoder().encodeInto('from node', view.bytes);
      const result = await finished(nsprPeer(['attach', name, '8192']));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout, 'from node\n');
      assert.equal(text(view.bytes, 16), 'from nspr');
    } finally {
      shm.close();
    }
    SharedMemory.unlink(name, NSPR);
    assert.equal(fs.existsSync(name), false);
    const again = await finished(nsprPeer(['attach', name, '8192']));
    assert.equal(again.code, 1);
    assert.match(again.stdout, /PR_OpenSharedMemory: PR_FILE_NOT_FOUND_ERROR/);
  }));

  it('Tests that NSPR\'s delete and this module\'s unlink agree on a missing segment: ENOENT, and no file is made to find that out', withPath(async (name) => {
    throwsCode(() => SharedMemory.unlink(name, NSPR), 'ENOENT', ShmError);
    assert.equal(fs.existsSync(name), false);
    fs.writeFileSync(name, '');
    throwsCode(() => SharedMemory.unlink(name, NSPR), 'ENOENT', ShmError);
    const result = await finished(nsprPeer(['delete', name]));
    assert.equal(result.code, 1);
    assert.match(result.stdout, /PR_DeleteSharedMemory: PR_FILE_NOT_FOUND_ERROR/);
  }));

  it('Tests create, exclusive create, open, a missing segment or file, and a size that disagrees', withPath((name) => {
    throwsCode(() => SharedMemory.open(name, 4096, NSPR), 'ENOENT', ShmError);
    const shm = SharedMemory.open(name, 4096, { ...NSPR, create: true });
    try {
      assert.equal(shm.created, true);
      throwsCode(() => SharedMemory.open(name, 4096, { ...NSPR, create: true, exclusive: true }), 'EEXIST', ShmError);
      const again = SharedMemory.open(name, 4096, { ...NSPR, create: true });
      assert.equal(again.created, false);
      again.close();
      throwsCode(() => SharedMemory.open(name, 8192, NSPR), 'ERR_SIZE_MISMATCH', ShmError);
      throwsCode(() => SharedMemory.open(name, 100, { ...NSPR, create: true }), 'ERR_SIZE_MISMATCH', ShmError);
      const key = SysVSegment.keyOf(name, NSPR_PROJECT_ID);
      assert.equal(SysVSegment.open(key, { mode: 0 }).size, 4096, "the segment is ftok(name, 'b')'s");
      throwsCode(() => SharedMemory.open(name, 4096), 'ERR_INVALID_ARG_VALUE', TypeError); // a path is no POSIX name
    } finally {
      shm.close();
    }
  }));

  it('Tests that a read-only open attaches read-only only, and a closed one refuses every use with ERR_CLOSED', withPath((name) => {
    const shm = SharedMemory.open(name, 4096, { ...NSPR, create: true });
    const ro = SharedMemory.open(name, 4096, { ...NSPR, readOnly: true });
    try {
      throwsCode(() => ro.attach({ readOnly: false }), 'EACCES', ShmError);
      const view = ro.attach();
      shm.attach().bytes[0] = 7;
      assert.equal(view.bytes[0], 7);
      assert.equal(ro.mappedViews, 1);
      ro.close();
      assert.equal(ro.closed, true);
      assert.equal(view.bytes.length, 0, 'close detached it');
      throwsCode(() => ro.attach({ readOnly: true }), 'ERR_CLOSED', ShmError);
      throwsCode(() => ro.stat(), 'ERR_CLOSED', ShmError);
      ro.close();
    } finally {
      shm.close();
    }
  }));

  it('Tests that bad names and a bad compat are refused with their codes', () => {
    for (const name of ['', 'a\0b', 'x'.repeat(1024)]) {
      throwsCode(() => SharedMemory.open(name, 4096, { ...NSPR, create: true }), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => SharedMemory.unlink(name, NSPR), 'ERR_INVALID_ARG_VALUE', TypeError);
    }
    throwsCode(() => SharedMemory.open(5 as never, 4096, NSPR), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => SharedMemory.open('x', 4096, { compat: 'sysv' } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => SharedMemory.unlink('x', { compat: 'NSPR' } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => SharedMemory.unlink('x', { mode: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => SharedMemory.open(path.join(os.tmpdir(), 'no-such-dir', 'x'), 4096, { ...NSPR, create: true }), 'ENOENT', ShmError);
  });
});
