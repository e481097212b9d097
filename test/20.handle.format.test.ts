import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, importHandle, ShmError } from 'electron-shm';
import { throwsCode } from './helpers';

function withField(handle: string, index: number, value: string): string {
  const parts = handle.split(':');
  parts[index] = value;
  return parts.join(':');
}

describe('handle strings', () => {
  it('Tests that a handle is versioned text naming pid, broker, id, size, access and a 128-bit secret', () => {
    const map = AnonMap.create(5000);
    const shown = AnonMap.create(5000);
    try {
      const handle = map.exportHandle();
      assert.match(handle, /^electron-shm:1:[0-9]+:[0-9a-f]{16}:[0-9]+:5000:rw:[0-9a-f]{32}$/);
      assert.equal(handle.split(':')[2], String(process.pid));
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
        withField(handle, 2, '0'),
        withField(handle, 2, '-5'),
        withField(handle, 3, 'zzzzzzzzzzzzzzzz'),
        withField(handle, 4, '0'),
        withField(handle, 5, '0'),
        withField(handle, 5, '1.5'),
        withField(handle, 6, 'rx'),
        withField(handle, 7, 'g'.repeat(32)),
        withField(handle, 2, '99999999999'),
      ]) {
        throwsCode(() => importHandle(bad), 'ERR_HANDLE_INVALID', ShmError);
      }
    } finally {
      map.close();
    }
  });

  it('Tests that a handle of a newer format version says so', () => {
    const map = AnonMap.create(4096);
    try {
      const newer = withField(map.exportHandle(), 1, '2');
      assert.throws(() => importHandle(newer), (error: ShmError) => error.code === 'ERR_HANDLE_INVALID' && /version 2/.test(error.message));
    } finally {
      map.close();
    }
  });

  it('Tests that a forged secret or id is refused by the broker', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      const secret = handle.split(':')[7]!;
      const flipped = (secret[0] === '0' ? '1' : '0') + secret.slice(1);
      throwsCode(() => importHandle(withField(handle, 7, flipped)), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => importHandle(withField(handle, 4, '999999')), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
    }
  });

  it('Tests that a handle whose size or access mode was edited is refused on import', () => {
    const map = AnonMap.create(8192);
    const shown = AnonMap.create(8192);
    try {
      const handle = map.exportHandle();
      throwsCode(() => importHandle(withField(handle, 5, '4096')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => importHandle(withField(handle, 6, 'ro')), 'ERR_HANDLE_INVALID', ShmError);
      const readOnly = shown.exportHandle({ readOnly: true });
      throwsCode(() => importHandle(withField(readOnly, 6, 'rw')), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
      shown.close();
    }
  });

  it('Tests that a pid-field that names another process finds no broker there', () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      throwsCode(() => importHandle(withField(handle, 2, '1')), 'ERR_HANDLE_REVOKED', ShmError);
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
