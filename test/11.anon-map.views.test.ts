import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { AnonMap, MAX_VIEW_LENGTH, ShmError } from 'electron-shm';
import { sharedMappings, throwsCode } from './helpers';

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

  it('Tests that a view is an ordinary V8-owned buffer with the shared pages inside it', () => {
    const map = AnonMap.create(3 * PAGE + 10);
    try {
      const view = map.map();
      // Not an external buffer: one spare page around a page-aligned interior.
      assert.ok(view.bytes.buffer.byteLength >= view.length);
      assert.equal(view.bytes.length, 3 * PAGE + 10);
      assert.equal(sharedMappings().length, 1);
    } finally {
      map.close();
    }
    assert.equal(sharedMappings().length, 0);
  });

  it('Tests that after unmap and after close every view has length 0 and the mapping is gone', () => {
    const map = AnonMap.create(2 * PAGE);
    const a = map.map();
    const b = map.map(PAGE);
    const alias = a.bytes;
    a.unmap();
    a.unmap();
    assert.equal(alias.length, 0);
    assert.equal(a.length, 0);
    assert.equal(a.mapped, false);
    assert.equal(b.length, PAGE);
    map.close();
    assert.equal(b.bytes.length, 0);
    assert.equal(b.bytes.buffer.byteLength, 0);
    assert.equal(sharedMappings().length, 0);
  });

  it('Tests that a view cannot be transferred away to another owner', async () => {
    const map = AnonMap.create(PAGE);
    const { port1, port2 } = new MessageChannel();
    try {
      const view = map.map();
      view.bytes[0] = 5;
      const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve));
      port1.postMessage(view.bytes, [view.bytes.buffer as ArrayBuffer]);
      const copy = await received;
      // Cloned, not moved: our view still owns its shared pages.
      assert.equal(view.length, PAGE);
      assert.equal(copy[0], 5);
    } finally {
      port1.close();
      map.close();
    }
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
