// Every way JavaScript could take a view's buffer away from under its shared
// pages (docs/zero-copy-views.md, "The routes"), each as a check that throws
// when the route breaks the lifetime rule. Plain JavaScript, so that the
// same checks run in processes where tsx cannot load (Node 20 without the
// SharedArrayBuffer global): test/012.views.routes.test.ts runs them in the
// test's runtime, test/fixtures/view-routes-runner.js under other V8 flags.
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { MessageChannel, Worker } = require('node:worker_threads');
const { AnonMap, importHandle, ResizableMap } = require('electron-shm');

const PAGE = 4096;
const SIZE = 4 * PAGE;
const HOLDER = path.join(__dirname, 'fixtures', 'view-holder-worker.js');

/**
 * The same check of every route's end: `write` writes through whatever
 * stale arrays the route left (0xee everywhere), and none of it may reach
 * the shared memory that `seen` shows.
 */
async function assertNothingReaches(write, seen, route) {
  const before = Buffer.from(seen);
  await write();
  assert.ok(Buffer.from(seen).equals(before), `${route}: a stale array still writes into the shared memory`);
}

/**
 * Runs `attack` on a fresh view of a map while a witness (the same memory,
 * imported as another map) stays mapped. `attack(bytes)` returns the arrays
 * it got hold of, or { stale, afterClose } where afterClose() writes through
 * arrays held elsewhere (a worker). Afterwards the view must still be whole
 * and shared; after the map closes, nothing the route left reaches the
 * memory.
 */
async function onView(route, attack) {
  const map = AnonMap.create(SIZE);
  const witness = importHandle(map.exportHandle());
  try {
    const view = map.map();
    const seen = witness.map().bytes;
    const bytes = view.bytes;
    bytes.fill(1);
    const got = await attack(bytes);
    const { stale, afterClose } = Array.isArray(got) ? { stale: got, afterClose: async () => {} } : got;
    assert.equal(view.length, SIZE, `${route}: the view lost its length`);
    bytes[7] = 42;
    assert.equal(seen[7], 42, `${route}: the view is no longer shared`);
    map.close();
    assert.equal(view.bytes.length, 0, `${route}: bytes is not empty after close`);
    assert.equal(bytes[7], 0, `${route}: a stale array still reads the shared memory`);
    await assertNothingReaches(async () => {
      for (const array of [bytes, ...stale]) array.fill(0xee);
      await afterClose();
    }, seen, route);
  } finally {
    map.close();
    witness.close();
  }
}

/** A method of ArrayBuffer.prototype, or undefined on runtimes without it. */
function arrayBufferMethod(name) {
  return ArrayBuffer.prototype[name];
}

/** Calls a route that must be refused; a runtime without the method has no such route. */
function refused(route, fn) {
  assert.throws(fn, (error) => error instanceof Error, `${route} was not refused`);
}

/** A worker of this process running test/fixtures/view-holder-worker.js; `ask` sends a message and awaits the answer. */
function startHolder() {
  const worker = new Worker(HOLDER);
  const ask = (message, transfer) =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage(message, transfer);
    });
  return { worker, ask };
}

const routes = {
  async transfer() {
    await onView('transfer()', (bytes) => {
      const transfer = arrayBufferMethod('transfer');
      if (transfer !== undefined) refused('transfer()', () => transfer.call(bytes.buffer));
      return [];
    });
  },

  async transferToFixedLength() {
    await onView('transferToFixedLength()', (bytes) => {
      const transfer = arrayBufferMethod('transferToFixedLength');
      if (transfer !== undefined) refused('transferToFixedLength()', () => transfer.call(bytes.buffer));
      return [];
    });
  },

  async structuredCloneWithTransfer() {
    await onView('structuredClone with a transfer list', (bytes) => {
      refused('structuredClone with a transfer list', () => structuredClone(bytes, { transfer: [bytes.buffer] }));
      return [structuredClone(bytes)];
    });
  },

  async postMessageWithTransfer() {
    await onView('postMessage with a transfer list', async (bytes) => {
      const { port1, port2 } = new MessageChannel();
      try {
        refused('postMessage with a transfer list', () => port1.postMessage(bytes, [bytes.buffer]));
        const received = new Promise((resolve) => port2.once('message', resolve));
        port1.postMessage(bytes);
        return [await received];
      } finally {
        port1.close();
      }
    });
  },

  async resize() {
    await onView('resize()', (bytes) => {
      const buffer = bytes.buffer;
      const resize = arrayBufferMethod('resize');
      if (resize !== undefined) refused('resize()', () => resize.call(buffer, PAGE));
      if (typeof buffer.grow === 'function') refused('grow() of a fixed buffer', () => buffer.grow(buffer.byteLength + PAGE));
      return [];
    });
  },

  async resizableMapShrink() {
    const map = ResizableMap.create(4 * PAGE, { span: 16 * PAGE });
    const witness = ResizableMap.import(map.exportHandle());
    try {
      map.bytes.fill(3);
      const buffer = map.bytes.buffer;
      const resize = arrayBufferMethod('resize');
      if (resize !== undefined) refused('resize() of a resizable map', () => resize.call(buffer, PAGE));
      refused('grow() to less', () => buffer.grow(PAGE));
      assert.equal(map.bytes.length, 4 * PAGE, 'the resizable map lost its length');
      assert.ok(witness.bytes.every((b) => b === 3), 'bytes of the resizable map were zeroed in another map');
      const stale = map.bytes;
      map.close();
      assert.equal(map.bytes.length, 0);
      await assertNothingReaches(() => stale.fill(0xee), witness.bytes, 'resizable map');
    } finally {
      map.close();
      witness.close();
    }
  },

  async postToWorker() {
    const { worker, ask } = startHolder();
    try {
      await onView('posting to a worker of this process', async (bytes) => {
        await ask({ hold: bytes });
        // A SharedArrayBuffer is shared with the worker; an ArrayBuffer is copied.
        const { shared } = await ask({ write: 9, at: 100 });
        assert.equal(bytes[100] === 9, shared, 'the worker wrote somewhere else than it thinks');
        return { stale: [], afterClose: () => ask({ fill: 0xee }) };
      });
    } finally {
      await worker.terminate();
    }
  },

  async terminateHoldingWorker() {
    const { worker, ask } = startHolder();
    try {
      await onView('terminating a worker that holds the view', async (bytes) => {
        await ask({ hold: bytes });
        await worker.terminate();
        return [];
      });
    } finally {
      await worker.terminate();
    }
  },

  async terminateMappingWorker() {
    const map = AnonMap.create(SIZE);
    const seen = map.map().bytes;
    const { worker, ask } = startHolder();
    try {
      const { bytes } = await ask({ importHandle: map.exportHandle() });
      seen[5] = 77;
      const shared = bytes[5] === 77;
      await worker.terminate();
      // The worker's environment made its pages private as it ended; what
      // this thread still holds of them reaches nothing.
      if (shared) assert.equal(bytes[5], 0, 'the ended worker left its view shared');
      await assertNothingReaches(() => bytes.fill(0xee), seen, 'a view from a terminated worker');
    } finally {
      await worker.terminate();
      map.close();
    }
  },
};

module.exports = { routes };
