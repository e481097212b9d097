import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, FrameChannel, importHandle, ResizableMap, Semaphore, ShmError } from 'electron-shm';
import { assertNoMoreDescriptors, descriptorKinds, throwsCode } from './helpers';

function withField(handle: string, index: number, value: string): string {
  const parts = handle.split(':');
  parts[index] = value;
  return parts.join(':');
}

describe('handle strings', () => {
  it('Tests that a handle is versioned text naming kind, pid, broker, id, size, access and a 128-bit secret', () => {
    const map = AnonMap.create(5000);
    const shown = AnonMap.create(5000);
    try {
      const handle = map.exportHandle();
      assert.match(handle, /^electron-shm:2:map:[0-9]+:[0-9a-f]{16}:[0-9]+:5000:rw:[0-9a-f]{32}$/);
      assert.equal(handle.split(':')[3], String(process.pid));
      assert.notEqual(map.exportHandle(), handle, 'each export has its own id and secret');
      assert.match(shown.exportHandle({ readOnly: true }), /:5000:ro:/);
    } finally {
      map.close();
      shown.close();
    }
  });

  it('Tests that malformed, truncated and foreign strings are ERR_HANDLE_INVALID', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      for (const bad of [
        '',
        'hello',
        'electron-shm:',
        handle.slice(0, -1),
        handle.slice(0, handle.length / 2),
        `${handle}0`,
        ` ${handle}`,
        handle.toUpperCase(),
        withField(handle, 3, '0'),
        withField(handle, 3, '-5'),
        withField(handle, 4, 'zzzzzzzzzzzzzzzz'),
        withField(handle, 5, '0'),
        withField(handle, 6, '0'),
        withField(handle, 6, '1.5'),
        withField(handle, 7, 'rx'),
        withField(handle, 8, 'g'.repeat(32)),
        withField(handle, 3, '99999999999'),
      ]) {
        throwsCode(() => importHandle(bad), 'ERR_HANDLE_INVALID', ShmError);
      }
    } finally {
      map.close();
    }
  });

  it('Tests that a handle of another format version says so: a newer one, or version 1 (which had no kind)', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      const newer = withField(handle, 1, '3');
      assert.throws(() => importHandle(newer), (error: ShmError) => error.code === 'ERR_HANDLE_INVALID' && /version 3/.test(error.message));
      const older = handle.replace('electron-shm:2:map:', 'electron-shm:1:');
      assert.throws(() => importHandle(older), (error: ShmError) => error.code === 'ERR_HANDLE_INVALID' && /version 1/.test(error.message));
    } finally {
      map.close();
    }
  });

  it('Tests that a kind or a size that does not fit its kind is ERR_HANDLE_INVALID', () => {
    const map = AnonMap.create(4096);
    const semaphore = Semaphore.create();
    try {
      const handle = map.exportHandle();
      throwsCode(() => importHandle(withField(handle, 2, 'Map')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => importHandle(withField(handle, 2, 'file')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => importHandle(withField(handle, 6, '0')), 'ERR_HANDLE_INVALID', ShmError);
      const semaphoreHandle = semaphore.exportHandle();
      assert.match(semaphoreHandle, /^electron-shm:2:semaphore:[0-9]+:[0-9a-f]{16}:[0-9]+:0:rw:[0-9a-f]{32}$/);
      throwsCode(() => Semaphore.import(withField(semaphoreHandle, 6, '8')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => Semaphore.import(withField(semaphoreHandle, 7, 'ro')), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
      semaphore.close();
    }
  });

  it('Tests that each import refuses the handles of every other kind with ERR_HANDLE_INVALID, naming the import that takes them, and fetches nothing', () => {
    const map = AnonMap.create(4096);
    const resizable = ResizableMap.create(4096, { span: 65536 });
    const channel = FrameChannel.create({ width: 16, height: 16, slots: 2 });
    const semaphore = Semaphore.create();
    const imports: Record<string, (handle: string) => { close(): void }> = {
      'importHandle()': importHandle,
      'ResizableMap.import()': ResizableMap.import,
      'FrameChannel.import()': FrameChannel.import,
      'Semaphore.import()': Semaphore.import,
    };
    try {
      // `once` handles: a refusal that had fetched would have used them up.
      const handles: Record<string, string> = {
        'importHandle()': map.exportHandle({ once: true }),
        'ResizableMap.import()': resizable.exportHandle({ once: true }),
        'FrameChannel.import()': channel.exportHandle({ once: true }),
        'Semaphore.import()': semaphore.exportHandle({ once: true }),
      };
      for (const [importer, take] of Object.entries(imports)) {
        for (const [owner, handle] of Object.entries(handles)) {
          if (owner === importer) continue;
          assert.throws(
            () => take(handle),
            (error: ShmError) => error instanceof ShmError && error.code === 'ERR_HANDLE_INVALID' && error.message.includes(`import it with ${owner}`),
            `${importer} of a handle for ${owner}`,
          );
        }
      }
      for (const [importer, take] of Object.entries(imports)) take(handles[importer]!).close();
    } finally {
      map.close();
      resizable.close();
      channel.close();
      semaphore.close();
    }
  });

  it('Tests that a handle saying read-only for a kind that is only shared read-write is refused before anything is fetched', () => {
    const resizable = ResizableMap.create(4096, { span: 65536 });
    const channel = FrameChannel.create({ width: 16, height: 16, slots: 2 });
    const semaphore = Semaphore.create();
    const kinds: [string, (handle: string) => { close(): void }][] = [
      [resizable.exportHandle({ once: true }), ResizableMap.import],
      [channel.exportHandle({ once: true }), FrameChannel.import],
      [semaphore.exportHandle({ once: true }), Semaphore.import],
    ];
    try {
      for (const [handle, take] of kinds) {
        throwsCode(() => take(handle.replace(':rw:', ':ro:')), 'ERR_HANDLE_INVALID', ShmError);
        take(handle).close(); // still usable: nothing was fetched
      }
    } finally {
      resizable.close();
      channel.close();
      semaphore.close();
    }
  });

  it('Tests that memory which is not what its handle\'s kind says is refused after the fetch and closed', () => {
    const map = AnonMap.create(4096);
    const channel = FrameChannel.create({ width: 16, height: 16, slots: 2 });
    // The kind is the exporter's word: relabelled, the memory itself gives it away.
    // (Exported first: each export holds descriptors of its own in the broker.)
    const channelHandles = [channel.exportHandle(), channel.exportHandle()];
    const mapHandles = [map.exportHandle(), map.exportHandle()];
    const before = descriptorKinds();
    try {
      throwsCode(() => importHandle(withField(channelHandles[0]!, 2, 'map')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => ResizableMap.import(withField(channelHandles[1]!, 2, 'resizable')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => FrameChannel.import(withField(mapHandles[0]!, 2, 'frames')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => ResizableMap.import(withField(mapHandles[1]!, 2, 'resizable')), 'ERR_NOT_RESIZABLE', ShmError);
      assertNoMoreDescriptors(before);
    } finally {
      map.close();
      channel.close();
    }
  });

  it('Tests that a forged secret or id is refused by the broker', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      const secret = handle.split(':')[8]!;
      const flipped = (secret[0] === '0' ? '1' : '0') + secret.slice(1);
      throwsCode(() => importHandle(withField(handle, 8, flipped)), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => importHandle(withField(handle, 5, '999999')), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
    }
  });

  it('Tests that a handle whose size or access mode was edited is refused on import', () => {
    const map = AnonMap.create(8192);
    const shown = AnonMap.create(8192);
    try {
      const handle = map.exportHandle();
      throwsCode(() => importHandle(withField(handle, 6, '4096')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => importHandle(withField(handle, 7, 'ro')), 'ERR_HANDLE_INVALID', ShmError);
      const readOnly = shown.exportHandle({ readOnly: true });
      throwsCode(() => importHandle(withField(readOnly, 7, 'rw')), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
      shown.close();
    }
  });

  it('Tests that a resizable map or frame channel handle that says more bytes than the memory has is refused on import, and a resizable map that grew since its handle is not', () => {
    const resizable = ResizableMap.create(4096, { span: 65536 });
    const channel = FrameChannel.create({ width: 16, height: 16, slots: 2 });
    try {
      const grown = resizable.exportHandle();
      const size = Number(grown.split(':')[6]);
      throwsCode(() => ResizableMap.import(withField(grown, 6, String(size + 4096))), 'ERR_HANDLE_INVALID', ShmError);
      const frames = channel.exportHandle();
      throwsCode(() => FrameChannel.import(withField(frames, 6, String(Number(frames.split(':')[6]) + 4096))), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => FrameChannel.import(withField(frames, 6, '4096')), 'ERR_HANDLE_INVALID', ShmError);
      // A resizable map only grows: a handle made before still opens it, at its size now.
      resizable.grow(16384);
      const opened = ResizableMap.import(grown);
      try {
        assert.equal(opened.size, 16384);
      } finally {
        opened.close();
      }
    } finally {
      resizable.close();
      channel.close();
    }
  });

  it('Tests that a pid-field that names another process finds no broker there', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      throwsCode(() => importHandle(withField(handle, 3, '1')), 'ERR_HANDLE_REVOKED', ShmError);
    } finally {
      map.close();
    }
  });

  it('Tests that revoked handles and handles of closed maps are ERR_HANDLE_REVOKED', () => {
    const map = AnonMap.create(4096);
    const keep = map.exportHandle();
    const revoked = map.exportHandle();
    assert.equal(map.revokeHandle(revoked), true);
    assert.equal(map.revokeHandle(revoked), false);
    throwsCode(() => importHandle(revoked), 'ERR_HANDLE_REVOKED', ShmError);
    map.close();
    throwsCode(() => importHandle(keep), 'ERR_HANDLE_REVOKED', ShmError);
  });

  it('Tests that memory lives on while any process holds it: closing the exporter leaves imported maps intact', () => {
    const map = AnonMap.create(4096);
    const imported = importHandle(map.exportHandle());
    try {
      map.map().bytes[7] = 70;
      const view = imported.map();
      map.close();
      assert.equal(view.bytes[7], 70);
      view.bytes[8] = 80;
      assert.equal(view.bytes[8], 80);
    } finally {
      imported.close();
    }
  });

  it('Tests that a once handle can be imported exactly once', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle({ once: true });
      importHandle(handle).close();
      throwsCode(() => importHandle(handle), 'ERR_HANDLE_REVOKED', ShmError);
      assert.equal(map.revokeHandle(handle), false);
    } finally {
      map.close();
    }
  });

  it('Tests that bad export, revoke and import arguments are refused by name', () => {
    const map = AnonMap.create(4096);
    const other = AnonMap.create(4096);
    try {
      throwsCode(() => map.exportHandle({ readOnly: 'yes' } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.exportHandle({ once: 1 } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.exportHandle({ pid: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.exportHandle({ pid: 1.5 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.exportHandle({ pid: 2 ** 31 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.exportHandle({ ttl: 5 } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => map.exportHandle(null as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => importHandle(42 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => importHandle(map.exportHandle(), { timeoutMs: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.revokeHandle(7 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.revokeHandle('nope'), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => map.revokeHandle(other.exportHandle()), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
      other.close();
    }
  });
});
