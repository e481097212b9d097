import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AnonMap, FrameChannel, MAX_SEMAPHORE_POST, Semaphore, ShmError, spawnWithMaps } from 'electron-shm';
import { native } from '../main/lib/native';
import {
  assertNoMoreDescriptors,
  collectGarbage,
  descriptorKinds,
  FIXTURES,
  finished,
  forkFixture,
  messageFrom,
  nodeArgs,
  repeats,
  SLOWDOWN,
  stopFixture,
  throwsCode,
  type FixtureChild,
} from './helpers';

/** The broker's state in this process, read from the addon itself (not part of the API). */
const brokerState = () => (native() as unknown as { brokerState(): { liveExports: number } }).brokerState();

interface PeerReply {
  ready?: boolean;
  error?: string;
  waited?: number;
  code?: string;
  posted?: number;
  waitedMs?: number;
  cpuMicros?: number;
  threadsBefore?: number;
  threadsDuring?: number;
}

type Peer = FixtureChild | ChildProcess;

function tell(peer: Peer, message: object): void {
  if ('postMessage' in peer) peer.postMessage(message);
  else peer.send(message);
}

/** Sends `message` and waits for the peer's answer. */
async function ask(peer: Peer, message: object, timeoutMs = 30_000): Promise<PeerReply> {
  const reply = messageFrom<PeerReply>(peer, () => true, timeoutMs);
  tell(peer, message);
  const got = await reply;
  assert.equal(got.error, undefined, `the peer answered ${got.error}`);
  return got;
}

async function peerWith(handle: string): Promise<FixtureChild> {
  const peer = forkFixture('semaphore-peer.js');
  await ask(peer, { handle });
  return peer;
}

/** Rejects with the code a promise rejected with, or fails if it resolved. */
async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => {
    assert.equal(error.code, code);
    return true;
  });
}

/** The eventfd's count, as the kernel reports it. */
function countOf(semaphore: Semaphore): number {
  const fd = (semaphore as unknown as { file: { fd: number } }).file.fd;
  return Number(/eventfd-count:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]);
}

describe('Semaphore in one process', () => {
  it('Tests that the count starts at initial, post adds, tryWait takes one at a time and never waits', () => {
    const semaphore = Semaphore.create({ initial: 2 });
    try {
      assert.equal(countOf(semaphore), 2);
      assert.equal(semaphore.tryWait(), true);
      assert.equal(semaphore.tryWait(), true);
      assert.equal(semaphore.tryWait(), false);
      semaphore.post();
      semaphore.post(3);
      assert.equal(countOf(semaphore), 4);
      for (let i = 0; i < 4; i++) assert.equal(semaphore.tryWait(), true);
      assert.equal(semaphore.tryWait(), false);
      assert.equal(Semaphore.create().tryWait(), false);
    } finally {
      semaphore.close();
    }
  });

  it('Tests that waits resolve in the order they began, one per post, and a wait that rejects takes nothing', async () => {
    const semaphore = Semaphore.create();
    try {
      const order: number[] = [];
      const waits = [0, 1, 2].map((i) => semaphore.wait().then(() => order.push(i)));
      const timedOut = semaphore.wait({ timeoutMs: 20 });
      await rejectsCode(timedOut, 'ETIMEDOUT');
      semaphore.post(2);
      await Promise.all(waits.slice(0, 2));
      assert.deepEqual(order, [0, 1]);
      semaphore.post();
      await waits[2];
      assert.deepEqual(order, [0, 1, 2]);
      assert.equal(semaphore.tryWait(), false, 'the wait that timed out took nothing');
      semaphore.post();
      await semaphore.wait({ timeoutMs: 1000 });
    } finally {
      semaphore.close();
    }
  });

  it('Tests that a wait never outlives its timeoutMs or its signal, and close() ends every wait with ERR_CLOSED', async () => {
    const semaphore = Semaphore.create();
    try {
      const started = Date.now();
      await rejectsCode(semaphore.wait({ timeoutMs: 100 }), 'ETIMEDOUT');
      const took = Date.now() - started;
      assert.ok(took >= 95 && took < 100 + 2000 * SLOWDOWN, `the wait took ${took} ms`);
      const controller = new AbortController();
      const aborted = semaphore.wait({ signal: controller.signal });
      controller.abort();
      await rejectsCode(aborted, 'ABORT_ERR');
      await rejectsCode(semaphore.wait({ signal: AbortSignal.abort() }), 'ABORT_ERR');
      const pending = [semaphore.wait(), semaphore.wait({ timeoutMs: 60_000 })];
      semaphore.close();
      for (const wait of pending) await rejectsCode(wait, 'ERR_CLOSED');
      await rejectsCode(semaphore.wait(), 'ERR_CLOSED');
      semaphore.close();
    } finally {
      semaphore.close();
    }
  });

  it('Tests that a closed semaphore refuses every use with ERR_CLOSED', () => {
    const semaphore = Semaphore.create();
    const handle = semaphore.exportHandle();
    semaphore.close();
    assert.equal(semaphore.closed, true);
    throwsCode(() => semaphore.post(), 'ERR_CLOSED', ShmError);
    throwsCode(() => semaphore.tryWait(), 'ERR_CLOSED', ShmError);
    throwsCode(() => semaphore.exportHandle(), 'ERR_CLOSED', ShmError);
    throwsCode(() => Semaphore.import(handle), 'ERR_HANDLE_REVOKED', ShmError);
  });

  it('Tests that each bad argument is refused with its code', async () => {
    const semaphore = Semaphore.create();
    const map = AnonMap.create(4096);
    try {
      throwsCode(() => Semaphore.create({ initial: -1 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => Semaphore.create({ initial: 1.5 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => Semaphore.create({ initial: MAX_SEMAPHORE_POST + 1 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => Semaphore.create({ initial: '1' } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => Semaphore.create({ count: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => Semaphore.create(7 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => semaphore.post(0), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => semaphore.post(-1), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => semaphore.post(2.5), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => semaphore.post(MAX_SEMAPHORE_POST + 1), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => semaphore.post('1' as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      await rejectsCode(semaphore.wait({ timeoutMs: -1 }), 'ERR_OUT_OF_RANGE');
      await rejectsCode(semaphore.wait({ timeoutMs: '5' } as never), 'ERR_INVALID_ARG_TYPE');
      await rejectsCode(semaphore.wait({ signal: {} } as never), 'ERR_INVALID_ARG_TYPE');
      await rejectsCode(semaphore.wait({ after: 1 } as never), 'ERR_INVALID_ARG_VALUE');
      await rejectsCode(semaphore.wait(null as never), 'ERR_INVALID_ARG_TYPE');
      throwsCode(() => semaphore.exportHandle({ once: 'yes' } as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => semaphore.exportHandle({ pid: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => semaphore.exportHandle({ readOnly: true } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => Semaphore.import(42 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => Semaphore.import('electron-shm:2:semaphore:garbage'), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => Semaphore.import(semaphore.exportHandle(), { timeoutMs: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
      throwsCode(() => Semaphore.import(semaphore.exportHandle(), { allowUnsealed: true } as never), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => Semaphore.import(map.exportHandle()), 'ERR_HANDLE_INVALID', ShmError);
      throwsCode(() => semaphore.revokeHandle(3 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => semaphore.revokeHandle(map.exportHandle()), 'ERR_HANDLE_INVALID', ShmError);
    } finally {
      semaphore.close();
      map.close();
    }
  });

  it('Tests that a post past the count\'s ceiling is EOVERFLOW and adds nothing, whoever filled it', () => {
    const semaphore = Semaphore.create();
    const other = Semaphore.import(semaphore.exportHandle());
    try {
      // Another holder fills the count to one below the ceiling (2^64 - 2).
      const fd = (other as unknown as { file: { fd: number } }).file.fd;
      const fill = Buffer.alloc(8);
      fill.writeBigUInt64LE(0xfffffffffffffffdn);
      fs.writeSync(fd, fill);
      semaphore.post();
      throwsCode(() => semaphore.post(), 'EOVERFLOW', ShmError);
      throwsCode(() => semaphore.post(5), 'EOVERFLOW', ShmError);
      assert.equal(semaphore.tryWait(), true);
      semaphore.post();
    } finally {
      other.close();
      semaphore.close();
    }
  });
});

describe('Semaphore handles', () => {
  it('Tests that an export is imported in this process too, revoked handles are refused, and once handles serve once', () => {
    const semaphore = Semaphore.create();
    try {
      const handle = semaphore.exportHandle();
      const same = Semaphore.import(handle);
      same.post(2);
      assert.equal(semaphore.tryWait(), true);
      same.close();
      assert.equal(semaphore.tryWait(), true, 'closing an import leaves the semaphore');
      assert.equal(semaphore.revokeHandle(handle), true);
      assert.equal(semaphore.revokeHandle(handle), false);
      throwsCode(() => Semaphore.import(handle), 'ERR_HANDLE_REVOKED', ShmError);
      const once = semaphore.exportHandle({ once: true });
      Semaphore.import(once).close();
      throwsCode(() => Semaphore.import(once), 'ERR_HANDLE_REVOKED', ShmError);
      const bound = semaphore.exportHandle({ pid: 1 });
      throwsCode(() => Semaphore.import(bound), 'EACCES', ShmError);
    } finally {
      semaphore.close();
    }
  });

  it('Tests that an exporter who sends memory in place of a semaphore is refused with ERR_HANDLE_INVALID, and nothing is left open', () => {
    const map = AnonMap.create(4096);
    const channel = FrameChannel.create({ width: 16, height: 16, slots: 2 });
    try {
      // A forged kind: the broker sends whatever the exporter offered.
      const asSemaphore = (handle: string) => handle.replace(/:(map|frames):/, ':semaphore:').replace(/:[0-9]+:rw:/, ':0:rw:');
      const forged = [asSemaphore(map.exportHandle()), asSemaphore(channel.exportHandle())];
      const before = descriptorKinds();
      for (const handle of forged) throwsCode(() => Semaphore.import(handle), 'ERR_HANDLE_INVALID', ShmError);
      assertNoMoreDescriptors(before);
    } finally {
      map.close();
      channel.close();
    }
  });

  const cycles = repeats(10_000);
  it(`Tests that ${cycles.toLocaleString('en-US')} create, export, import and close cycles leave no descriptor, export or watch behind`, async () => {
    collectGarbage();
    const before = descriptorKinds();
    for (let i = 0; i < cycles; i++) {
      const semaphore = Semaphore.create();
      const imported = Semaphore.import(semaphore.exportHandle({ once: i % 2 === 0 }));
      if (i % 100 === 0) {
        // Now and then with a wait pending, which close() ends.
        const pending = imported.wait();
        imported.close();
        await rejectsCode(pending, 'ERR_CLOSED');
      } else {
        imported.post();
        imported.close();
      }
      semaphore.close();
    }
    collectGarbage();
    assertNoMoreDescriptors(before);
    assert.equal(brokerState().liveExports, 0);
  });
});

describe('Semaphore between processes', () => {
  it('Tests that a process that imported the handle is woken by a post here, and its post wakes a wait here', async () => {
    const semaphore = Semaphore.create();
    const peer = await peerWith(semaphore.exportHandle());
    try {
      const reply = messageFrom<PeerReply>(peer, (m) => m.waited !== undefined);
      tell(peer, { wait: 1, timeoutMs: 10_000 * SLOWDOWN });
      // Mostly after the peer began to wait: its wake, not its first try.
      await sleep(200 * SLOWDOWN);
      semaphore.post();
      assert.deepEqual(await reply, { waited: 1, code: 'OK' });
      const here = semaphore.wait({ timeoutMs: 10_000 * SLOWDOWN });
      await ask(peer, { post: 1 });
      await here;
    } finally {
      await stopFixture(peer);
      semaphore.close();
    }
  });

  const posts = repeats(10_000);
  it(`Tests that ${posts.toLocaleString('en-US')} posts from two processes give exactly as many successful waits across three processes`, async () => {
    const semaphore = Semaphore.create();
    const handle = semaphore.exportHandle();
    const peers = await Promise.all([0, 1, 2, 3].map(() => peerWith(handle)));
    try {
      const [posterA, posterB, waiterA, waiterB] = peers as [FixtureChild, FixtureChild, FixtureChild, FixtureChild];
      // The waiters wait until a second without posts tells them it is over.
      const idle = 1000 * SLOWDOWN;
      const waited = [waiterA, waiterB].map((peer) => ask(peer, { wait: posts, timeoutMs: idle }, 120_000));
      let here = 0;
      const waitingHere = (async () => {
        for (;;) {
          try {
            await semaphore.wait({ timeoutMs: idle });
            here++;
          } catch (error) {
            assert.equal((error as ShmError).code, 'ETIMEDOUT');
            return;
          }
        }
      })();
      // Half in posts of 2, half in posts of 1.
      await Promise.all([ask(posterA, { post: posts / 4, each: 2 }, 120_000), ask(posterB, { post: posts / 2 }, 120_000)]);
      const [a, b] = await Promise.all(waited);
      await waitingHere;
      assert.equal(a!.code, 'ETIMEDOUT');
      assert.equal(b!.code, 'ETIMEDOUT');
      assert.equal(a!.waited! + b!.waited! + here, posts, `waits: ${a!.waited} + ${b!.waited} + ${here}`);
      assert.equal(semaphore.tryWait(), false, 'nothing is left');
    } finally {
      await Promise.all(peers.map(stopFixture));
      semaphore.close();
    }
  });

  it('Tests that a process waiting 5 s uses under 1% of a core, and no thread of its own', async () => {
    const semaphore = Semaphore.create();
    const peer = await peerWith(semaphore.exportHandle());
    try {
      const got = await ask(peer, { idle: 5000 }, 60_000);
      assert.equal(got.code, 'ETIMEDOUT');
      assert.ok(got.waitedMs! >= 4900, `waited ${got.waitedMs} ms`);
      // Under emulation the same work costs SLOWDOWN times the CPU.
      assert.ok(got.cpuMicros! < 50_000 * SLOWDOWN, `used ${got.cpuMicros} µs of CPU in 5 s`);
      assert.equal(got.threadsDuring, got.threadsBefore, 'a wait starts no thread');
    } finally {
      await stopFixture(peer);
      semaphore.close();
    }
  });

  it('Tests that a child started by spawnWithMaps inherits a semaphore by name, beside a map', async () => {
    const semaphore = Semaphore.create();
    const map = AnonMap.create(4096);
    try {
      const child = spawnWithMaps(process.execPath, nodeArgs('semaphore-peer.js'), {
        maps: { data: map },
        semaphores: { sem: semaphore },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      const ended = finished(child);
      try {
        await ask(child, { inherit: true });
        const reply = messageFrom<PeerReply>(child, (m) => m.waited !== undefined);
        tell(child, { wait: 2, timeoutMs: 10_000 * SLOWDOWN });
        semaphore.post(2);
        assert.deepEqual(await reply, { waited: 2, code: 'OK' });
        await ask(child, { post: 1 });
        assert.equal(semaphore.tryWait(), true);
        tell(child, { exit: true });
        assert.equal((await ended).code, 0);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      semaphore.close();
      map.close();
    }
  });

  it('Tests that spawnWithMaps refuses bad semaphores with their codes, and a child asking for the wrong kind gets EINVAL, also once the name was adopted as its own kind', async () => {
    const semaphore = Semaphore.create();
    const map = AnonMap.create(4096);
    try {
      const spawnIt = (semaphores: unknown, maps: object = {}) => spawnWithMaps(process.execPath, ['-e', ''], { maps, semaphores } as never);
      throwsCode(() => spawnIt(null), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => spawnIt({ 'bad name': semaphore }), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => spawnIt({ x: map }), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => spawnIt({ x: semaphore }, { x: map }), 'ERR_INVALID_ARG_VALUE', TypeError);
      const closed = Semaphore.create();
      closed.close();
      throwsCode(() => spawnIt({ closed }), 'ERR_CLOSED', ShmError);
      const child = spawnWithMaps(process.execPath, nodeArgs('inherit-kinds.js'), { maps: { data: map }, semaphores: { sem: semaphore }, stdio: ['ignore', 'pipe', 'pipe'] });
      const result = await finished(child);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), {
        mapAsSemaphore: 'EINVAL',
        semaphoreAsMap: 'EINVAL',
        missing: 'ENOENT',
        badName: 'ERR_INVALID_ARG_VALUE',
        adopted: ['OK', 'OK'],
        mapAsSemaphoreAfter: 'EINVAL',
        semaphoreAsMapAfter: 'EINVAL',
        sameMapAgain: true,
      });
    } finally {
      semaphore.close();
      map.close();
    }
  });
});

/** Whether the semaphore's open file description has O_NONBLOCK, as /proc says. */
function nonBlocking(semaphore: Semaphore): boolean {
  const fd = (semaphore as unknown as { file: { fd: number } }).file.fd;
  const flags = parseInt(/flags:\s*([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
  return (flags & 0o4000) !== 0;
}

describe('Semaphore with a peer that misbehaves', () => {
  it('Tests that a peer that makes the shared description blocking cannot make a take, a wait or a post here wait', async () => {
    const semaphore = Semaphore.create();
    try {
      // Python, handed the semaphore at spawn (descriptor 3), clears
      // O_NONBLOCK on the open file description every holder shares.
      const peer = spawnWithMaps('python3', ['-c', 'import os; os.set_blocking(3, True); print(os.get_blocking(3))'], {
        maps: {},
        semaphores: { sem: semaphore },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await finished(peer);
      assert.equal(result.stdout.trim(), 'True', result.stderr);
      assert.equal(nonBlocking(semaphore), false, 'the peer cleared O_NONBLOCK');
      // A plain read of an empty blocking eventfd would wait for ever.
      assert.equal(semaphore.tryWait(), false);
      await rejectsCode(semaphore.wait({ timeoutMs: 50 }), 'ETIMEDOUT');
      semaphore.post(2);
      assert.equal(nonBlocking(semaphore), true, 'a post sets it again');
      assert.equal(semaphore.tryWait(), true);
      await semaphore.wait({ timeoutMs: 1000 });
    } finally {
      semaphore.close();
    }
  });
});

describe('Semaphore in worker threads', () => {
  it('Tests that a worker waits on a semaphore of this thread, and terminating workers while they wait leaves the semaphore whole and nothing open', async () => {
    const semaphore = Semaphore.create();
    collectGarbage();
    const before = descriptorKinds();
    try {
      const started = (worker: Worker) => new Promise<string>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const handle = semaphore.exportHandle();
      const woken = new Worker(path.join(FIXTURES, 'semaphore-worker.js'), { workerData: { handle } });
      assert.equal(await started(woken), 'waiting');
      const done = started(woken);
      semaphore.post();
      assert.equal(await done, 'woken');
      await woken.terminate();
      for (let i = 0; i < 20; i++) {
        const worker = new Worker(path.join(FIXTURES, 'semaphore-worker.js'), { workerData: { handle } });
        assert.equal(await started(worker), 'waiting');
        await worker.terminate();
      }
      semaphore.post();
      assert.equal(semaphore.tryWait(), true, 'no terminated worker took a post');
    } finally {
      semaphore.close();
    }
    collectGarbage();
    assertNoMoreDescriptors(before);
  });
});
