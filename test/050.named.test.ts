import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Attachment, MapView, SharedMemory, ShmError } from 'electron-shm';
import { report, runFixture, throwsCode, uniqueName } from './helpers';

/** Opens a test segment and removes its name whatever happens. */
function withSegment(size: number, body: (name: string, shm: SharedMemory) => void | Promise<void>, mode?: number) {
  return async () => {
    const name = uniqueName('named');
    const shm = SharedMemory.open(name, size, { create: true, exclusive: true, ...(mode === undefined ? {} : { mode }) });
    try {
      await body(name, shm);
    } finally {
      shm.close();
      SharedMemory.unlink(name);
    }
  };
}

describe('SharedMemory (named)', () => {
  it('Tests that a created segment has the asked size, mode 0600 by default and a /dev/shm name', withSegment(10000, (name, shm) => {
    assert.equal(shm.created, true);
    assert.equal(shm.name, `/${name}`);
    const st = fs.statSync(`/dev/shm/${name}`);
    assert.equal(st.size, 10000);
    assert.equal(st.mode & 0o777, 0o600);
  }));

  it('Tests that mode is applied exactly, not masked by the umask', withSegment(4096, (name) => {
    assert.equal(fs.statSync(`/dev/shm/${name}`).mode & 0o777, 0o640);
  }, 0o640));

  it('Tests that a second open sees the same memory, and create without exclusive opens it', withSegment(8192, (name, shm) => {
    const a = shm.attach();
    a.bytes[100] = 9;
    const again = SharedMemory.open(name, 8192, { create: true });
    try {
      assert.equal(again.created, false);
      assert.equal(again.attach().bytes[100], 9);
    } finally {
      again.close();
    }
  }));

  it('Tests that create+exclusive on an existing name is EEXIST and a missing one without create is ENOENT', withSegment(4096, (name) => {
    throwsCode(() => SharedMemory.open(name, 4096, { create: true, exclusive: true }), 'EEXIST', ShmError);
    throwsCode(() => SharedMemory.open(`${name}-missing`, 4096), 'ENOENT', ShmError);
  }));

  it('Tests that a size that disagrees with the segment is reported, and the segment is untouched', withSegment(4096, (name) => {
    throwsCode(() => SharedMemory.open(name, 8192), 'ERR_SIZE_MISMATCH', ShmError);
    throwsCode(() => SharedMemory.open(name, 100, { create: true }), 'ERR_SIZE_MISMATCH', ShmError);
    assert.equal(fs.statSync(`/dev/shm/${name}`).size, 4096);
  }));

  it('Tests that attach, detach and attach again work, and a read-only attachment is read-only', withSegment(4096, (_name, shm) => {
    const a = shm.attach();
    assert.ok(a instanceof Attachment && a instanceof MapView);
    a.bytes[0] = 5;
    a.detach();
    assert.equal(a.bytes.length, 0);
    const b = shm.attach({ readOnly: true });
    assert.equal(b.readOnly, true);
    assert.equal(b.bytes[0], 5);
    assert.equal(shm.mappedViews, 1);
    b.detach();
    assert.equal(shm.mappedViews, 0);
  }));

  it('Tests that a segment opened read-only refuses writable attachments', withSegment(4096, (name) => {
    const ro = SharedMemory.open(name, 4096, { readOnly: true });
    try {
      assert.equal(ro.attach().readOnly, true);
      throwsCode(() => ro.attach({ readOnly: false }), 'EACCES', ShmError);
    } finally {
      ro.close();
    }
  }));

  it('Tests that a child process opens the segment by name, reads and writes back', withSegment(8192, async (name, shm) => {
    const a = shm.attach();
    new TextEncoder().encodeInto('named from parent', a.bytes);
    const result = await runFixture('named-child.ts', [name, '8192']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(report(result), { read: 'named from parent' });
    assert.equal(new TextDecoder().decode(a.bytes.subarray(4096, 4096 + 16)), 'named from child');
  }));

  it('Tests that unlink removes the name while attached memory lives on, and a second unlink is ENOENT', async () => {
    const name = uniqueName('unlink');
    const shm = SharedMemory.open(name, 4096, { create: true, exclusive: true });
    try {
      const a = shm.attach();
      a.bytes[0] = 1;
      SharedMemory.unlink(name);
      assert.equal(fs.existsSync(`/dev/shm/${name}`), false);
      a.bytes[1] = 2;
      assert.equal(a.bytes[0] + a.bytes[1], 3);
      throwsCode(() => SharedMemory.unlink(name), 'ENOENT', ShmError);
      throwsCode(() => SharedMemory.open(name, 4096), 'ENOENT', ShmError);
    } finally {
      shm.close();
    }
  });

  it('Tests that every name Linux takes is taken: any bytes but "/" and NUL, up to 255 of them, with or without one leading "/"', () => {
    const prefix = uniqueName('');
    for (const tail of ['my shm:1', 'sp ace', 'ä€😀', 'tab\tnew\nline', '.hidden', '...', 'x'.repeat(255 - Buffer.byteLength(prefix))]) {
      const name = prefix + tail;
      for (const given of [name, `/${name}`]) {
        const shm = SharedMemory.open(given, 4096, { create: true, exclusive: true });
        try {
          assert.equal(shm.name, `/${name}`);
          assert.equal(fs.statSync(`/dev/shm/${name}`).size, 4096);
        } finally {
          shm.close();
          SharedMemory.unlink(given);
        }
        assert.equal(fs.existsSync(`/dev/shm/${name}`), false);
      }
    }
  });

  it('Tests that bad names, sizes, modes and option combinations are refused by name', () => {
    const open = (name: unknown, size: unknown = 4096, options?: unknown) => () => SharedMemory.open(name as string, size as number, options as never);
    for (const name of ['', '/', 'a/b', '//a', '/a/', '.', '..', '/.', '/..', 'a\0b', 'x'.repeat(256), '/' + 'x'.repeat(256), 'ä'.repeat(128), 'a\ud800']) {
      throwsCode(open(name, 4096, { create: true }), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => SharedMemory.unlink(name), 'ERR_INVALID_ARG_VALUE', TypeError);
    }
    throwsCode(open(5), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => SharedMemory.unlink(5 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    const name = uniqueName('bad');
    throwsCode(open(name, 0, { create: true }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(open(name, -1, { create: true }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(open(name, 1.5, { create: true }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(open(name, 2 ** 48, { create: true }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(open(name, 4096, { create: true, mode: 0o1000 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(open(name, 4096, { create: true, mode: -1 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(open(name, 4096, { create: 'yes' }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(open(name, 4096, { exclusive: 1 }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(open(name, 4096, { create: true, readOnly: true }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(open(name, 4096, { size: 5 }), 'ERR_INVALID_ARG_VALUE', TypeError);
    assert.equal(fs.existsSync(`/dev/shm/${name}`), false, 'no bad call created anything');
  });

  it('Tests that a closed segment refuses attach with ERR_CLOSED and detaches its attachments', withSegment(4096, (name) => {
    const shm = SharedMemory.open(name, 4096);
    const a = shm.attach();
    shm.close();
    assert.equal(a.bytes.length, 0);
    throwsCode(() => shm.attach(), 'ERR_CLOSED', ShmError);
  }));
});
