import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, FrameChannel, ResizableMap, ShmError } from 'electron-shm';
import { finished, report, runFixture, sharedMappings, startFixture, throwsCode } from './helpers';

const PAGE = 4096;

describe('resizable maps', () => {
  it('Tests that growing keeps the same array, its address and contents, and shows the new length', () => {
    const map = ResizableMap.create(10_000, { span: 1 << 20 });
    try {
      assert.equal(map.size, 3 * PAGE); // whole pages
      assert.equal(map.span, 1 << 20);
      const bytes = map.bytes;
      const words = map.view(Uint32Array, 8); // length-tracking
      bytes.fill(7, 0, 100);
      words[0] = 0xdeadbeef;
      assert.equal(map.grow(), 6 * PAGE);
      assert.equal(map.bytes, bytes);
      assert.equal(bytes.length, 6 * PAGE);
      assert.equal(words.length, (6 * PAGE - 8) / 4);
      assert.equal(bytes[99], 7);
      assert.equal(words[0], 0xdeadbeef);
      bytes[6 * PAGE - 1] = 1; // the new end is writable
      assert.equal(map.grow(100_000), 25 * PAGE);
      assert.equal(map.grow(PAGE), 25 * PAGE); // never shrinks
      assert.equal(map.offsetOf(words), 8);
      assert.equal(map.offsetOf(map.view(Uint8Array, 4096, 10)), 4096);
    } finally {
      map.close();
    }
    assert.equal(map.bytes.length, 0);
    throwsCode(() => map.grow(), 'ERR_CLOSED', ShmError);
    throwsCode(() => map.sync(), 'ERR_CLOSED', ShmError);
    throwsCode(() => map.view(Uint8Array, 0), 'ERR_CLOSED', ShmError);
    throwsCode(() => map.exportHandle(), 'ERR_CLOSED', ShmError);
  });

  it('Tests that growing past the span is ERR_SPAN_EXCEEDED, and the map stays usable', () => {
    const map = ResizableMap.create(PAGE, { span: 4 * PAGE });
    try {
      throwsCode(() => map.grow(5 * PAGE), 'ERR_SPAN_EXCEEDED', ShmError);
      assert.equal(map.grow(), 2 * PAGE);
      assert.equal(map.grow(), 4 * PAGE);
      throwsCode(() => map.grow(), 'ERR_SPAN_EXCEEDED', ShmError);
      map.bytes[4 * PAGE - 1] = 1;
      assert.equal(map.size, 4 * PAGE);
    } finally {
      map.close();
    }
  });

  it('Tests that a process sees another one grow the map (through the header), and shares the grown bytes', async () => {
    const map = ResizableMap.create(PAGE, { span: 1 << 20 });
    try {
      const other = ResizableMap.import(map.exportHandle());
      try {
        other.grow(64 * PAGE);
        other.bytes[63 * PAGE] = 99;
        assert.equal(map.size, PAGE); // not mapped here yet
        assert.equal(map.sync(), 64 * PAGE);
        assert.equal(map.bytes[63 * PAGE], 99);
        map.bytes[10] = 5;
        assert.equal(other.bytes[10], 5);
      } finally {
        other.close();
      }
    } finally {
      map.close();
    }
  });

  it('Tests that each bad argument and each wrong handle is refused with its code', () => {
    throwsCode(() => ResizableMap.create(0), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => ResizableMap.create(PAGE, { span: 2 ** 40 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => ResizableMap.create(8 * PAGE, { span: PAGE }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => ResizableMap.create(PAGE, { colour: 1 } as object), 'ERR_INVALID_ARG_VALUE', TypeError);
    const map = ResizableMap.create(PAGE, { span: 8 * PAGE });
    const plain = AnonMap.create(2 * PAGE);
    const channel = FrameChannel.create({ width: 16, height: 16 });
    try {
      throwsCode(() => map.grow(0), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.grow('big' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.view(Int32Array, 2), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.view(Int32Array, 0, PAGE), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.view(Int32Array, PAGE + 4), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => map.view(Object as never, 0), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.offsetOf(new Uint8Array(4)), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => map.offsetOf([] as unknown as Uint8Array), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => map.exportHandle({ readOnly: true } as object), 'ERR_INVALID_ARG_VALUE', TypeError);
      // Only a forged handle says a resizable map is read-only.
      throwsCode(() => ResizableMap.import(map.exportHandle().replace(':rw:', ':ro:')), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => ResizableMap.import(plain.exportHandle({ readOnly: true })), 'ERR_HANDLE_INVALID', ShmError);
      const writable = AnonMap.create(2 * PAGE);
      try {
        throwsCode(() => ResizableMap.import(writable.exportHandle()), 'ERR_HANDLE_INVALID', ShmError);
      } finally {
        writable.close();
      }
      throwsCode(() => ResizableMap.import(channel.exportHandle()), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => ResizableMap.import('not a handle'), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      map.close();
      plain.close();
      channel.close();
    }
  });

  it('Tests that closing after growth leaves no shared mapping behind', () => {
    const before = sharedMappings().length;
    for (let i = 0; i < 50; i++) {
      const map = ResizableMap.create(PAGE, { span: 1 << 24 });
      const other = ResizableMap.import(map.exportHandle({ once: true }));
      map.grow(1 << 20);
      other.sync();
      other.close();
      map.close();
    }
    assert.equal(sharedMappings().length, before);
  });

  it('Tests the rszshm example: 8 processes grow and fill one map with an atomic counter, every byte written once', async () => {
    const initial = 16 * PAGE;
    const stop = 1 << 20; // 16 times the initial size
    const map = ResizableMap.create(initial, { span: 4 << 20 });
    const letters = [...'ABCDEFGH'].map((c) => c.charCodeAt(0));
    try {
      const workers = letters.map((letter) => finished(startFixture('rszshm-worker.ts', [map.exportHandle({ once: true }), String(letter), String(stop)]), 60_000));
      const reports = (await Promise.all(workers)).map((result) => {
        assert.equal(result.code, 0, result.stderr);
        return report<{ mine: number; overwritten: number; grown: number; size: number; sameArray: boolean }>(result);
      });
      for (const r of reports) {
        assert.equal(r.overwritten, 0);
        assert.equal(r.sameArray, true);
        assert.ok(r.size >= initial); // each grew only as far as it needed to
      }
      assert.ok(reports.reduce((n, r) => n + r.grown, 0) >= 4, 'the map grew several times, in whichever processes got there first');
      assert.equal(reports.reduce((n, r) => n + r.mine, 0), stop);

      assert.ok(map.sync() >= stop + 4 && map.size >= 16 * initial);
      const counts = new Map<number, number>();
      for (let i = 4; i < 4 + stop; i++) counts.set(map.bytes[i]!, (counts.get(map.bytes[i]!) ?? 0) + 1);
      assert.equal(counts.get(0), undefined, 'every byte was written');
      assert.deepEqual(letters.map((letter) => counts.get(letter) ?? 0), reports.map((r) => r.mine));
      assert.ok(map.bytes.subarray(4 + stop).every((b) => b === 0), 'nothing past the end was written');
    } finally {
      map.close();
    }
  });
  it("Tests that a header another process wrote is never trusted: a size past the file's end, another span, a size of 0 or past the span, or no magic number is ERR_MAP_CORRUPT from sync(), grow() and import, and the map stays usable (no SIGBUS)", async () => {
    const result = await runFixture('resizable-corrupt.js');
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.code, 0, `code ${result.code} (135 is a SIGBUS): ${result.stderr}`);
    const got = report<Record<string, { sync?: unknown; grow: unknown; import: unknown; size?: number }>>(result);
    const corrupt = { sync: 'ERR_MAP_CORRUPT', grow: 'ERR_MAP_CORRUPT', import: 'ERR_MAP_CORRUPT', size: 16 * PAGE };
    for (const name of ['sizeIsSpan', 'sizePastFile', 'sizeZero', 'sizePastSpan', 'spanHuge']) assert.deepEqual(got[name], corrupt, name);
    // A new importer cannot tell another span from the first: it takes the header's, if it could be one.
    assert.deepEqual(got['spanChanged'], { ...corrupt, import: 'OK' });
    // A new importer of memory with no header is told it is not a resizable map.
    assert.deepEqual(got['magicGone'], { ...corrupt, import: 'ERR_NOT_RESIZABLE' });
    assert.deepEqual(got['after'], { grow: 32 * PAGE, import: 'OK' });
  });
});
