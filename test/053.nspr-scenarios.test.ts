/**
 * NSPR's own tests of shared memory, ported: nameshm1.c (BasicTest,
 * ReadOnlyTest with its child that writes to a read-only attachment, and
 * ClientServerTest, with Semaphore in place of NSPR's semaphores), for both
 * flavours of named memory, and anonfm.c's two ways of handing an
 * anonymous map to a child: the descriptor inherited at spawn and named in
 * the environment (NSPR's working protocol, PR_ExportFileMapAsString), and
 * a string the child turns into the map (the second, which NSPR leaves a
 * stub, is this module's handle).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AnonMap, Semaphore, SharedMemory, spawnWithMaps, type Compat } from 'electron-shm';
import { finished, forkFixture, messageFrom, nodeArgs, pollUntil, SLOWDOWN, startFixture, stopFixture, uniqueName } from './helpers';

const SIZE = 4096;
const ROUNDS = 1000;

/** A name of the flavour: a POSIX name, or (NSPR) a file's path. */
function nameFor(compat: Compat, tag: string): string {
  const name = uniqueName(`nameshm1-${tag}`);
  return compat === 'nspr' ? path.join(os.tmpdir(), name) : name;
}

function remove(name: string, compat: Compat): void {
  try {
    SharedMemory.unlink(name, { compat });
  } catch {
    // deleted by the test already
  }
  if (compat === 'nspr') fs.rmSync(name, { force: true });
}

for (const compat of ['posix', 'nspr'] as const) {
  describe(`nameshm1, ${compat}`, () => {
    it('Tests BasicTest: create, attach, fill, detach, close; open again and find every byte; delete', () => {
      const name = nameFor(compat, 'basic');
      try {
        const shm = SharedMemory.open(name, SIZE, { compat, create: true, mode: 0o666 });
        const view = shm.attach();
        for (let i = 0; i < SIZE; i++) view.bytes[i] = i & 0xff;
        view.detach();
        shm.close();
        const again = SharedMemory.open(name, SIZE, { compat });
        const bytes = again.attach().bytes;
        let wrong = 0;
        for (let i = 0; i < SIZE; i++) if (bytes[i] !== (i & 0xff)) wrong++;
        assert.equal(wrong, 0);
        again.close();
        SharedMemory.unlink(name, { compat });
      } finally {
        remove(name, compat);
      }
    });

    it('Tests ReadOnlyTest: a read-only attachment reads the bytes, and a child that writes to one dies of SIGSEGV, alone', async () => {
      const name = nameFor(compat, 'ro');
      try {
        const shm = SharedMemory.open(name, SIZE, { compat, create: true });
        const view = shm.attach();
        view.bytes[0] = 42;
        const ro = SharedMemory.open(name, SIZE, { compat, readOnly: true });
        assert.equal(ro.attach().bytes[0], 42);
        ro.close();
        const child = await finished(startFixture('nspr-scenarios.js', ['read-only', name, compat]));
        assert.equal(child.signal, 'SIGSEGV', `the child ended with ${child.code}: ${child.stderr}`);
        assert.equal(child.stdout, 'attached\n');
        assert.equal(view.bytes[0], 42, 'nothing was written');
        shm.close();
      } finally {
        remove(name, compat);
      }
    });

    it(`Tests ClientServerTest: ${ROUNDS} rounds each, taking turns through two Semaphores, on a counter in the memory`, async () => {
      const name = nameFor(compat, 'cs');
      const serverTurn = Semaphore.create({ initial: 1 });
      const clientTurn = Semaphore.create();
      const client = forkFixture('nspr-scenarios.js', ['client', name, compat]);
      try {
        const shm = SharedMemory.open(name, SIZE, { compat, create: true });
        const { bytes } = shm.attach();
    const counter = new Uint32Array(bytes.buffer, bytes.byteOffset, 1);
        const done = messageFrom<{ wrong: number }>(client, () => true, 60_000);
        client.postMessage({ serverTurn: serverTurn.exportHandle(), clientTurn: clientTurn.exportHandle(), rounds: ROUNDS });
        let wrong = 0;
        for (let i = 0; i < ROUNDS; i++) {
          await serverTurn.wait({ timeoutMs: 10_000 * SLOWDOWN });
          if (counter[0]! % 2 !== 0) wrong++;
          counter[0]!++;
          clientTurn.post();
        }
        assert.deepEqual(await done, { wrong: 0 });
        assert.equal(wrong, 0);
        await serverTurn.wait({ timeoutMs: 10_000 * SLOWDOWN });
        assert.equal(counter[0], 2 * ROUNDS);
        shm.close();
      } finally {
        await stopFixture(client);
        serverTurn.close();
        clientTurn.close();
        remove(name, compat);
      }
    });
  });
}

describe('anonfm', () => {
  /** Waits, as anonfm's server polls, for the child to set byte 0. */
  async function changed(bytes: Uint8Array): Promise<boolean> {
    await pollUntil(() => bytes[0] !== 0, 10_000, 5);
    return bytes[0] === 1;
  }

  it('Tests the first protocol: the descriptor handed down at spawn and named in the environment, found by the child', async () => {
    const map = AnonMap.create(SIZE);
    try {
      const bytes = map.map().bytes;
      const child = spawnWithMaps(process.execPath, nodeArgs('nspr-scenarios.js', ['anonfm', 'inherit']), { maps: { map }, stdio: ['ignore', 'pipe', 'pipe'] });
      assert.ok(await changed(bytes));
      assert.equal((await finished(child)).code, 0);
    } finally {
      map.close();
    }
  });

  it('Tests the second protocol: the map exported as a string, which a child that inherited nothing imports', async () => {
    const map = AnonMap.create(SIZE);
    const child = forkFixture('nspr-scenarios.js', ['anonfm', 'handle']);
    try {
      const bytes = map.map().bytes;
      child.postMessage(map.exportHandle({ once: true }));
      assert.ok(await changed(bytes));
      await child.exited;
      assert.equal(child.stderrText(), '');
    } finally {
      await stopFixture(child);
      map.close();
    }
  });
});
