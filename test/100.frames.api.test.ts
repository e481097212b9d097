import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AnonMap, FRAME_META_BYTES, FrameChannel, forkUtility, importHandle, type Frame, type FramePolicy } from 'electron-shm';
import { FIXTURES, forkFixture, messageFrom, stopFixture, throwsCode } from './helpers';

async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string; message?: string }) => {
    assert.equal(error.code, code, error.message);
    return true;
  });
}

function withChannel(policy: FramePolicy, slots: number, body: (channel: FrameChannel) => void | Promise<void>) {
  return async () => {
    const channel = FrameChannel.create({ width: 32, height: 16, slots, policy });
    try {
      await body(channel);
    } finally {
      channel.close();
    }
  };
}

function publishOne(channel: FrameChannel, value: number): void {
  const publisher = channel.publisher();
  try {
    const sample = publisher.loan();
    sample.pixels.fill(value);
    sample.send();
  } finally {
    publisher.close();
  }
}

describe('frame channel: layout and bad options', () => {
  it('Tests that each format lays out its planes with their strides and offsets', () => {
    const cases = [
      { format: 'rgba', planes: [['rgba', 0, 2560, 360]], size: 2560 * 360 },
      { format: 'bgra', planes: [['bgra', 0, 2560, 360]], size: 2560 * 360 },
      { format: 'nv12', planes: [['y', 0, 640, 360], ['uv', 640 * 360, 640, 180]], size: 640 * 360 * 1.5 },
      { format: 'i420', planes: [['y', 0, 640, 360], ['u', 640 * 360, 320, 180], ['v', 640 * 360 + 320 * 180, 320, 180]], size: 640 * 360 * 1.5 },
    ] as const;
    for (const { format, planes, size } of cases) {
      const channel = FrameChannel.create({ width: 640, height: 360, format, slots: 2 });
      try {
        assert.equal(channel.frameSize, size);
        assert.deepEqual(channel.layout.planes.map((p) => [p.name, p.offset, p.stride, p.rows]), planes);
        assert.equal(channel.stride, planes[0][2]);
        const publisher = channel.publisher();
        const sample = publisher.loan();
        assert.deepEqual(sample.planes.map((p) => p.length), planes.map(([, , stride, rows]) => stride * rows));
        assert.equal(sample.pixels.length, size);
        // The slots are laid out with the core's kMetaBytes; the public constant must agree.
        assert.equal(sample.meta.length, FRAME_META_BYTES);
        sample.drop();
      } finally {
        channel.close();
      }
    }
  });

  it('Tests that bad sizes, formats, slot counts, policies and options are refused with their codes', () => {
    const base = { width: 64, height: 64 };
    throwsCode(() => FrameChannel.create(undefined as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    for (const width of [0, -2, 1.5, 16386]) throwsCode(() => FrameChannel.create({ ...base, width }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => FrameChannel.create({ ...base, height: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => FrameChannel.create({ ...base, width: '64' as never }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => FrameChannel.create({ width: 641, height: 360, format: 'nv12' }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => FrameChannel.create({ width: 640, height: 361, format: 'i420' }), 'ERR_INVALID_ARG_VALUE', TypeError);
    FrameChannel.create({ width: 641, height: 361, format: 'rgba', slots: 2 }).close();
    throwsCode(() => FrameChannel.create({ ...base, format: 'yuyv' as never }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => FrameChannel.create({ ...base, slots: 1 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => FrameChannel.create({ ...base, slots: 65 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => FrameChannel.create({ ...base, policy: 'fifo' as never }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => FrameChannel.create({ ...base, processes: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => FrameChannel.create({ ...base, colour: 'red' } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
    // 4 slots of a 1 GiB frame do not fit one view: refused before allocating.
    throwsCode(() => FrameChannel.create({ width: 16384, height: 16384, slots: 4 }), 'ERR_OUT_OF_RANGE', RangeError);
  });
});

describe('frame channel: publisher and samples', () => {
  it('Tests that one loan at a time is allowed, that a sent or dropped sample cannot be sent, and that only the sample sends or drops itself', withChannel('latest', 3, (channel) => {
    const publisher = channel.publisher();
    const sample = publisher.loan();
    throwsCode(() => publisher.loan(), 'ERR_LOAN_PENDING');
    sample.send();
    throwsCode(() => sample.send(), 'ERR_SAMPLE_RELEASED');
    throwsCode(() => sample.drop(), 'ERR_SAMPLE_RELEASED');
    const dropped = publisher.loan();
    dropped.drop();
    dropped.drop();
    throwsCode(() => dropped.send(), 'ERR_SAMPLE_RELEASED');
    // No way to hand a publisher a sample: nothing of another publisher's can be sent through it.
    assert.equal('send' in publisher, false);
    assert.equal('drop' in publisher, false);
    const next = publisher.loan();
    throwsCode(() => next.send({ timestamp: -1n }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => next.send({ timestamp: 5 as never }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => publisher.loan({ wait: 'yes' } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => (publisher.loan as (o: object) => unknown)({ timeoutMs: 5 }), 'ERR_INVALID_ARG_TYPE', TypeError);
    next.drop();
  }));

  it('Tests that a channel has one publisher at a time, and a new one after it closes', withChannel('latest', 2, (channel) => {
    const first = channel.publisher();
    throwsCode(() => channel.publisher(), 'ERR_PUBLISHER_EXISTS');
    const imported = FrameChannel.import(channel.exportHandle());
    try {
      throwsCode(() => imported.publisher(), 'ERR_PUBLISHER_EXISTS');
      first.close();
      throwsCode(() => first.loan(), 'ERR_CLOSED');
      imported.publisher().loan().send();
    } finally {
      imported.close();
    }
  }));

  it('Tests that under latest the publisher gets ERR_NO_FREE_SLOT only when subscribers hold every slot but the newest', withChannel('latest', 2, (channel) => {
    const subscriber = channel.subscriber();
    const publisher = channel.publisher();
    publisher.loan().send();
    const held = subscriber.tryReceive()!;
    publisher.loan().send();
    throwsCode(() => publisher.loan(), 'ERR_NO_FREE_SLOT');
    held.release();
    publisher.loan().send();
  }));

  it('Tests that a waiting loan resolves when a queue subscriber catches up, and times out or aborts otherwise', withChannel('queue', 2, async (channel) => {
    const subscriber = channel.subscriber();
    const publisher = channel.publisher();
    publisher.loan().send();
    publisher.loan().send();
    throwsCode(() => publisher.loan(), 'ERR_NO_FREE_SLOT');
    await rejectsCode(publisher.loan({ wait: true, timeoutMs: 30 }), 'ETIMEDOUT');
    const controller = new AbortController();
    const aborted = publisher.loan({ wait: true, signal: controller.signal });
    controller.abort();
    await rejectsCode(aborted, 'ABORT_ERR');
    await rejectsCode(publisher.loan({ wait: true, timeoutMs: -1 }), 'ERR_OUT_OF_RANGE');
    const waiting = publisher.loan({ wait: true, timeoutMs: 2000 });
    setTimeout(() => subscriber.tryReceive()!.release(), 20);
    const sample = await waiting;
    assert.equal(sample.sequence, 3);
    sample.drop();
  }));
});

describe('frame channel: subscribers and frames', () => {
  it('Tests that latest gives the newest frame once, with its metadata, and queue gives every frame in order', async () => {
    for (const policy of ['latest', 'queue'] as const) {
      const channel = FrameChannel.create({ width: 32, height: 16, slots: 4, policy });
      try {
        const subscriber = channel.subscriber();
        assert.equal(subscriber.tryReceive(), null);
        const publisher = channel.publisher();
        for (let i = 1; i <= 3; i++) {
          const sample = publisher.loan();
          sample.pixels.fill(i);
          sample.meta[0] = 100 + i;
          sample.send({ timestamp: BigInt(i) * 1000n });
        }
        const received: Frame[] = [];
        for (let frame = subscriber.tryReceive(); frame !== null; frame = subscriber.tryReceive()) received.push(frame);
        const expected = policy === 'latest' ? [3] : [1, 2, 3];
        assert.deepEqual(received.map((f) => f.sequence), expected);
        for (const frame of received) {
          assert.equal(frame.pixels[5], frame.sequence);
          assert.equal(frame.meta[0], 100 + frame.sequence);
          assert.equal(frame.timestamp, BigInt(frame.sequence) * 1000n);
          assert.deepEqual([frame.width, frame.height, frame.format, frame.stride], [32, 16, 'rgba', 128]);
          frame.release();
          throwsCode(() => frame.pixels, 'ERR_FRAME_RELEASED');
        }
      } finally {
        channel.close();
      }
    }
  });

  it('Tests that next() waits for a frame, and rejects on timeout, abort, bad options, close and a closing publisher', withChannel('latest', 3, async (channel) => {
    const subscriber = channel.subscriber();
    await rejectsCode(subscriber.next({ timeoutMs: 20 }), 'ETIMEDOUT');
    await rejectsCode(subscriber.next({ timeoutMs: -5 }), 'ERR_OUT_OF_RANGE');
    await rejectsCode(subscriber.next({ signal: 'stop' as never }), 'ERR_INVALID_ARG_TYPE');
    const controller = new AbortController();
    controller.abort();
    await rejectsCode(subscriber.next({ signal: controller.signal }), 'ABORT_ERR');

    const waiting = subscriber.next({ timeoutMs: 2000 });
    setTimeout(() => publishOne(channel, 7), 10);
    const frame = await waiting;
    assert.equal(frame.pixels[0], 7);
    frame.release();
    // That publisher closed: the next wait learns it at once.
    await rejectsCode(subscriber.next({ timeoutMs: 2000 }), 'ERR_PUBLISHER_GONE');

    const publisher = channel.publisher();
    const pending = subscriber.next();
    setTimeout(() => publisher.close(), 10);
    await rejectsCode(pending, 'ERR_PUBLISHER_GONE');

    channel.publisher();
    const closing = subscriber.next();
    subscriber.close();
    await rejectsCode(closing, 'ERR_CLOSED');
    throwsCode(() => subscriber.tryReceive(), 'ERR_CLOSED');
    await rejectsCode(subscriber.next(), 'ERR_CLOSED');
  }));

  it('Tests that for await gives every frame, releases each when the loop moves on, and ends when the publisher closes', withChannel('queue', 3, async (channel) => {
    const subscriber = channel.subscriber();
    const publisher = channel.publisher();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const frame of subscriber) {
        seen.push(frame.sequence);
        assert.equal(subscriber.held, 1, 'the previous frame was released');
      }
    })();
    for (let i = 0; i < 10; i++) {
      const sample = await publisher.loan({ wait: true, timeoutMs: 2000 });
      sample.send();
    }
    await sleep(20);
    publisher.close();
    await loop;
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(subscriber.held, 0);
  }));

  it('Tests that a closed channel refuses every use with ERR_CLOSED and its samples cannot be sent', () => {
    const channel = FrameChannel.create({ width: 32, height: 16, slots: 2 });
    const publisher = channel.publisher();
    const sample = publisher.loan();
    sample.pixels.fill(0xab);
    channel.close();
    channel.close();
    assert.equal(channel.closed, true);
    assert.equal(publisher.closed, true);
    throwsCode(() => channel.publisher(), 'ERR_CLOSED');
    throwsCode(() => channel.subscriber(), 'ERR_CLOSED');
    throwsCode(() => channel.exportHandle(), 'ERR_CLOSED');
    throwsCode(() => sample.send(), 'ERR_CLOSED');
    assert.ok(sample.pixels.every((byte) => byte === 0), 'its views are unmapped: private zeros now');
  });

  it('Tests that a channel refuses more instances and subscribers than it was made for with ERR_CHANNEL_FULL', withChannel('latest', 2, (channel) => {
    channel.subscriber();
    const other = FrameChannel.import(channel.exportHandle());
    try {
      // processes: 16 by default; a channel made for one takes one.
      const single = FrameChannel.create({ width: 8, height: 8, slots: 2, processes: 1 });
      const again = FrameChannel.import(single.exportHandle());
      try {
        single.subscriber();
        throwsCode(() => again.subscriber(), 'ERR_CHANNEL_FULL');
      } finally {
        again.close();
        single.close();
      }
      for (let i = 1; i < 64; i++) other.subscriber();
      throwsCode(() => other.subscriber(), 'ERR_CHANNEL_FULL');
    } finally {
      other.close();
    }
  }));
});

describe('frame channel: handles and helpers', () => {
  it('Tests that channel and map handles are not confused, and bad or revoked handles are refused', withChannel('latest', 2, (channel) => {
    const map = AnonMap.create(4096);
    try {
      throwsCode(() => FrameChannel.import(map.exportHandle()), 'ERR_HANDLE_INVALID');
      throwsCode(() => importHandle(channel.exportHandle()), 'ERR_HANDLE_INVALID');
      throwsCode(() => FrameChannel.import('electron-shm:1:garbage'), 'ERR_HANDLE_INVALID');
      throwsCode(() => FrameChannel.import(42 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      const handle = channel.exportHandle();
      assert.equal(channel.revokeHandle(handle), true);
      throwsCode(() => FrameChannel.import(handle), 'ERR_HANDLE_REVOKED');
      const once = channel.exportHandle({ once: true });
      FrameChannel.import(once).close();
      throwsCode(() => FrameChannel.import(once), 'ERR_HANDLE_REVOKED');
      throwsCode(() => channel.exportHandle({ readOnly: true } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => channel.exportHandle({ pid: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
    } finally {
      map.close();
    }
  }));

  it('Tests that forkUtility and utilityParent refuse bad arguments and a process without a parent channel', () => {
    throwsCode(() => forkUtility(5 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => forkUtility('x.js', 'a' as never), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => forkUtility('x.js', [], { stdio: 'loud' as never }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => forkUtility('x.js', [], { stdio: ['pipe', 'pipe', 'pipe'] as never }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => forkUtility('x.js', [], { stdio: ['ignore', 'pipe'] as never }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => forkUtility('x.js', [], { execArgv: 'x' as never }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => forkUtility('x.js', [], { detached: true } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
    const script = "try { require('electron-shm').utilityParent(); console.log('OK') } catch (e) { console.log(e.code) }";
    const run = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(run.stdout.trim(), 'ENOTCONN', run.stderr);
  });

  it("Tests that forkUtility's stdio 'pipe' pipes stdout and stderr and leaves the child no stdin, as a utility process has none", async () => {
    const child = forkUtility(path.join(FIXTURES, 'print-stdio.js'), [], { stdio: 'pipe' });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    // 'exit' may come before the last of stdout: wait for both.
    const [code] = await Promise.all([new Promise((resolve) => child.once('exit', resolve)), new Promise((resolve) => child.stdout!.once('end', resolve))]);
    assert.equal(code, 0);
    const [stdin, out, err] = JSON.parse(stdout) as string[];
    assert.equal(stdin, '/dev/null');
    assert.match(out!, /^(pipe|socket):/);
    assert.match(err!, /^(pipe|socket):/);
    assert.notEqual(child.stderr, null);
  });

  it("Tests that a child's message listener added after a once() listener gets each message once", async () => {
    const child = forkFixture('utility-listeners.js');
    try {
      const listening = messageFrom(child, (m: unknown) => m === 'listening');
      child.postMessage('first');
      await listening;
      const seen = messageFrom<string[]>(child, (m: unknown) => Array.isArray(m));
      for (const message of ['a', 'b', 'last']) child.postMessage(message);
      assert.deepEqual(await seen, ['a', 'b', 'last']);
    } finally {
      await stopFixture(child);
    }
  });
});
