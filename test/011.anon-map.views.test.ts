import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, importHandle, MAX_VIEW_LENGTH, ShmError } from 'electron-shm';
import { report, runFixture, sharedMappings, throwsCode } from './helpers';

const PAGE = 4096;

describe('AnonMap.map and views', () => {
  it('Tests that two views of one map are the same memory, zero-copy', () => {
    const map = AnonMap.create(4 * PAGE);
    try {
      const whole = map.map();
      const tail = map.map(2 * PAGE, PAGE);
      assert.equal(tail.offset, 2 * PAGE);
      assert.equal(tail.length, PAGE);
      whole.bytes[2 * PAGE + 5] = 99;
      assert.equal(tail.bytes[5], 99);
      tail.bytes[0] = 7;
      assert.equal(whole.bytes[2 * PAGE], 7);
      assert.equal(map.mappedViews, 2);
    } finally {
      map.close();
    }
  });

  it('Tests that a view is a SharedArrayBuffer that V8 allocated, with the shared pages inside it', () => {
    const map = AnonMap.create(3 * PAGE + 10);
    try {
      const view = map.map();
      // Not an external buffer: one spare page around a page-aligned interior.
      assert.equal(Object.prototype.toString.call(view.bytes.buffer), '[object SharedArrayBuffer]');
      assert.equal(view.bytes.buffer.byteLength, 5 * PAGE);
      assert.equal(view.bytes.length, 3 * PAGE + 10);
      assert.equal(sharedMappings().length, 1);
    } finally {
      map.close();
    }
    assert.equal(sharedMappings().length, 0);
  });

  it('Tests that after unmap and close bytes is empty, arrays kept from before read private zeros, and nothing written through them is shared', () => {
    const map = AnonMap.create(2 * PAGE);
    const witness = importHandle(map.exportHandle());
    try {
      const seen = witness.map().bytes;
      const a = map.map();
      const b = map.map(PAGE);
      const alias = a.bytes;
      alias.fill(3);
      a.unmap();
      a.unmap();
      assert.equal(a.bytes.length, 0);
      assert.equal(a.length, 0);
      assert.equal(a.mapped, false);
      assert.equal(alias.length, 2 * PAGE, 'an array kept from before keeps its length');
      assert.ok(alias.every((byte) => byte === 0), 'and reads private zeros');
      alias.fill(9);
      assert.equal(seen[0], 3, 'what is written through it stays in this process');
      assert.equal(b.length, PAGE);
      const kept = b.bytes;
      map.close();
      assert.equal(b.bytes.length, 0);
      kept.fill(9);
      assert.ok(seen.every((byte) => byte === 3));
      assert.equal(sharedMappings().length, 1, "only the witness's mapping is left");
    } finally {
      map.close();
      witness.close();
    }
    assert.equal(sharedMappings().length, 0);
  });

  it('Tests that a view dropped without unmap or close keeps V8 off its memory: no buffer allocated after a collection lands on the shared pages', async () => {
    assert.deepEqual(report(await runFixture('dropped-view.js')), { intact: true, first: 0x5a, buffers: 2000 });
  });

  it('Tests that offsets and lengths outside the map or off a page boundary are refused', () => {
    const map = AnonMap.create(4 * PAGE);
    try {
      throwsCode(() => map.map(-PAGE), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map(100), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map(4 * PAGE), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map(0.5), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map(0, 0), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map(0, 4 * PAGE + 1), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map(PAGE, 3 * PAGE + 1), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.map('0' as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.map(0, PAGE, { readOnly: 1 } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.map(0, PAGE, { writable: true } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
      assert.equal(map.mappedViews, 0);
    } finally {
      map.close();
    }
  });

  it('Tests that a view longer than one Uint8Array can hold is refused, and windows of it work', () => {
    const map = AnonMap.create(MAX_VIEW_LENGTH + 2 * PAGE);
    try {
      throwsCode(() => map.map(), 'ERR_OUT_OF_RANGE', RangeError);
      const window = map.map(MAX_VIEW_LENGTH, 2 * PAGE);
      window.bytes[0] = 1;
      assert.equal(window.bytes[0], 1);
    } finally {
      map.close();
    }
  });

  it('Tests that a read-only view of a writable map sees writes made through another view', () => {
    const map = AnonMap.create(PAGE);
    try {
      const reader = map.map(0, PAGE, { readOnly: true });
      const writer = map.map();
      assert.equal(reader.readOnly, true);
      writer.bytes[10] = 42;
      assert.equal(reader.bytes[10], 42);
    } finally {
      map.close();
    }
  });

  it('Tests that unmapped views of a closed map report ERR_CLOSED on new maps', () => {
    const map = AnonMap.create(PAGE);
    map.close();
    throwsCode(() => map.map(0, PAGE), 'ERR_CLOSED', ShmError);
  });
});
