import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AnonMap, FrameChannel, type FramePublisher, ShmError } from 'electron-shm';
import { collectGarbage, descriptorKinds, FIXTURES, repeats, sharedMappings, SLOWDOWN } from './helpers';

const AT_ONCE = 4;
const PROCESSES = 64;
/** Where a worker is terminated: a random 0 to 10 ms after it reports one of these (test/fixtures/terminated-worker.js). */
const STAGES = ['online', 'loading', 'importing', 'mapped', 'joined', 'holding a frame', 'waiting in next'];
const PUBLISHER_STAGES = [...STAGES, 'waiting in loan'];
/** In lanes of AT_ONCE; each lane meets every stage at least once. */
const TERMINATIONS = repeats(200, AT_ONCE * PUBLISHER_STAGES.length);

/** Resolves when `worker` reaches `stage`; rejects after `timeoutMs`. */
function reaching(worker: Worker, stage: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not reach "${stage}" in ${timeoutMs} ms`)), timeoutMs);
    const onReach = (name?: string) => {
      if (name !== undefined && name !== stage) return;
      clearTimeout(timer);
      resolve();
    };
    if (stage === 'online') worker.once('online', () => onReach());
    else worker.on('message', onReach);
  });
}

/** Sends frames while `running()`, waiting for room when subscribers hold every slot. */
async function publish(publisher: FramePublisher, running: () => boolean): Promise<number> {
  let sent = 0;
  while (running()) {
    try {
      (await publisher.loan({ wait: true, timeoutMs: 100 })).send();
      sent++;
    } catch (error) {
      if ((error as ShmError).code !== 'ETIMEDOUT') throw error;
    }
    await sleep(5);
  }
  publisher.close();
  return sent;
}

describe('worker threads terminated at any moment', () => {
  it(`Tests that ${TERMINATIONS} terminations of workers that map, import, wait in next(), hold frames and wait in loan() never abort the process and give everything back`, async () => {
    const map = AnonMap.create(4 * 4096);
    // A queue channel: a worker's subscriber that holds a frame holds the publisher back until the worker ends.
    const frames = FrameChannel.create({ width: 64, height: 32, slots: 4, policy: 'queue', processes: PROCESSES });
    // Its one subscriber never reads, so after two frames a publisher's loan waits for good.
    const stuck = FrameChannel.create({ width: 8, height: 8, slots: 2, policy: 'queue', processes: PROCESSES });
    const neverReads = stuck.subscriber();
    const workerData = { map: map.exportHandle(), frames: frames.exportHandle(), stuck: stuck.exportHandle() };
    const reached = new Map<string, number>();
    const failures: string[] = [];
    let running = true;
    try {
      const publisher = frames.publisher();
      collectGarbage();
      const descriptorsBefore = descriptorKinds();
      const mappingsBefore = sharedMappings().length;
      const publishing = publish(publisher, () => running).catch((error) => {
        failures.push(`the publisher: ${String(error)}`);
        return 0;
      });

      // Lane 0's workers take the stuck channel's publisher role in turn; the others never try.
      const lane = async (index: number, count: number) => {
        const stages = index === 0 ? PUBLISHER_STAGES : STAGES;
        for (let i = 0; i < count; i++) {
          const stage = stages[i % stages.length]!;
          const worker = new Worker(path.join(FIXTURES, 'terminated-worker.js'), { workerData: { ...workerData, publish: index === 0 } });
          worker.on('message', (name: string) => {
            if (name.startsWith('error')) failures.push(name);
          });
          worker.on('error', (error) => failures.push(String(error)));
          try {
            await reaching(worker, stage, 5000 * SLOWDOWN);
            reached.set(stage, (reached.get(stage) ?? 0) + 1);
            await sleep(Math.random() * 10);
          } catch (error) {
            failures.push(String(error));
          }
          await worker.terminate();
        }
      };
      await Promise.all(Array.from({ length: AT_ONCE }, (_, index) => lane(index, TERMINATIONS / AT_ONCE)));
      running = false;
      const sent = await publishing;
      console.log(`# terminated after: ${JSON.stringify(Object.fromEntries(reached))}; ${sent} frames sent meanwhile`);

      assert.deepEqual(failures, []);
      assert.equal([...reached.values()].reduce((a, b) => a + b, 0), TERMINATIONS);
      collectGarbage();
      assert.equal(sharedMappings().length, mappingsBefore, 'every mapping of the workers is gone from /proc/self/maps');
      // Sockets only as "no more than before": on Node 24 the test runner's
      // own close on their own while a test runs. A socket left per import
      // would still show, once per termination.
      const { 'socket:': socketsAfter = 0, ...after } = descriptorKinds();
      const { 'socket:': socketsBefore = 0, ...before } = descriptorsBefore;
      assert.deepEqual(after, before, 'every descriptor of the workers is closed');
      assert.ok(socketsAfter <= socketsBefore, `sockets: ${socketsBefore} before, ${socketsAfter} after`);

      // Every endpoint and subscriber the workers took is free again: the
      // channel takes as many instances and subscribers as it was made for
      // (this process already holds one endpoint, its publisher's).
      const queued = FrameChannel.import(workerData.frames);
      const again = queued.publisher();
      // No subscriber and no lease is left: a queue publisher never waits.
      for (let i = 0; i < 12; i++) again.loan().send();
      const instances = Array.from({ length: PROCESSES - 2 }, () => FrameChannel.import(workerData.frames));
      const oneTooMany = FrameChannel.import(workerData.frames);
      instances.push(oneTooMany);
      try {
        for (const instance of instances.slice(0, -1)) instance.subscriber();
        assert.throws(() => oneTooMany.subscriber(), { code: 'ERR_CHANNEL_FULL' }, 'every endpoint is taken now');
        queued.subscriber();
        queued.subscriber();
        assert.throws(() => queued.subscriber(), { code: 'ERR_CHANNEL_FULL' }, 'every subscriber entry is taken now');
      } finally {
        for (const instance of instances) instance.close();
        queued.close();
      }
      // The stuck channel's publisher role was given back too.
      stuck.publisher().close();
    } finally {
      running = false;
      neverReads.close();
      stuck.close();
      frames.close();
      map.close();
    }
  });
});
