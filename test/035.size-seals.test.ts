import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, FrameChannel, ResizableMap, ShmError, importHandle, spawnWithMaps } from 'electron-shm';
import { finished, nodeArgs, startFixture, throwsCode } from './helpers';

interface Escalation {
  routes: Record<string, string>;
  size: number;
  sizeAfter: number;
}

/** Hands `handle` to a real importing process that tries every route to a new size or a new seal. */
async function escalate(kind: 'map' | 'frames' | 'resizable', handle: string, uid?: number, allowUnsealed = false): Promise<Escalation> {
  const child = startFixture('size-escalation.js', [], uid === undefined ? {} : { uid, gid: uid });
  const reply = new Promise<Escalation>((resolve) => child.once('message', resolve));
  child.send({ kind, handle, allowUnsealed });
  const [result, ended] = await Promise.all([reply, finished(child)]);
  assert.equal(ended.code, 0, ended.stderr);
  return result;
}

/** Every route refused: no size change, no seal (memfd memory of a fixed size). */
const FIXED = {
  reopenReadOnly: 'OK', // a memfd can be reopened through /proc…
  reopen: 'OK',
  fallocate: 'EPERM', // …but F_SEAL_GROW refuses any growth
  grow: 'EPERM',
  shrink: 'EPERM', // F_SEAL_SHRINK
  sealShared: 'EPERM', // F_SEAL_SEAL refuses every new seal
  sealReadOnly: 'EPERM',
};

const NOBODY = 65534;

describe('size and seals', () => {
  for (const readOnly of [true, false]) {
    it(`Tests that the importer of a ${readOnly ? 'read-only' : 'read-write'} handle can neither resize the map nor add a seal, and later imports still work`, async () => {
      const map = AnonMap.create(65536);
      try {
        const view = map.map();
        view.bytes[65535] = 7;
        const got = await escalate('map', map.exportHandle({ readOnly }));
        assert.deepEqual(got.routes, FIXED);
        assert.equal(got.sizeAfter, 65536);
        assert.equal(map.stat().size, 65536);
        assert.equal(view.bytes[65535], 7, 'the last page is still there');
        const again = importHandle(map.exportHandle({ readOnly }));
        assert.equal(again.map().bytes[65535], 7);
        again.close();
      } finally {
        map.close();
      }
    });
  }

  it("Tests that the importer of a frame channel can neither resize its memory nor add a seal", async () => {
    const channel = FrameChannel.create({ width: 64, height: 64 });
    try {
      const got = await escalate('frames', channel.exportHandle());
      assert.deepEqual(got.routes, FIXED);
      assert.equal(got.sizeAfter, got.size);
      const again = FrameChannel.import(channel.exportHandle());
      again.close();
    } finally {
      channel.close();
    }
  });

  it('Tests that a peer of a resizable map can grow its file but not shrink it or add a seal, and the map keeps growing', async () => {
    const map = ResizableMap.create(65536, { span: 1 << 22 });
    try {
      map.bytes[65535] = 5;
      const got = await escalate('resizable', map.exportHandle());
      assert.deepEqual(got.routes, {
        ...FIXED,
        fallocate: 'OK', // a resizable map must grow, so F_SEAL_GROW is not set;
        grow: 'OK', // a peer's growth past the header costs memory, nothing else
        shrink: 'EPERM',
        sealShared: 'EPERM', // so nobody can add F_SEAL_GROW or F_SEAL_FUTURE_WRITE
        sealReadOnly: 'EPERM',
      });
      assert.ok(got.sizeAfter > got.size);
      assert.equal(map.grow(1 << 21), 1 << 21, 'growing into a file a peer made longer');
      assert.equal(map.bytes[65535], 5);
      map.bytes[(1 << 21) - 1] = 6;
      const again = ResizableMap.import(map.exportHandle());
      assert.equal(again.bytes[(1 << 21) - 1], 6);
      again.close();
    } finally {
      map.close();
    }
  });

  it('Tests that a read-write export or hand-down makes the seals final: no read-only export after it', async () => {
    const exported = AnonMap.create(4096);
    const handedDown = AnonMap.create(4096);
    try {
      exported.exportHandle();
      throwsCode(() => exported.exportHandle({ readOnly: true }), 'EACCES', ShmError);
      const child = spawnWithMaps(process.execPath, nodeArgs('inherit-child.ts', ['rw']), { maps: { rw: handedDown }, stdio: ['ignore', 'pipe', 'pipe'] });
      await finished(child);
      throwsCode(() => handedDown.exportHandle({ readOnly: true }), 'EACCES', ShmError);
      assert.equal(handedDown.exportHandle().includes(':rw:'), true, 'read-write sharing goes on');
    } finally {
      exported.close();
      handedDown.close();
    }
  });

  it('Tests that an importer of the same unprivileged user cannot reopen a file-backed map (no memfd) while its mode is 0, but as its owner can change the mode and then reopen it; and that a file-backed resizable map still works for that user', async () => {
    const env = { ...process.env, ELECTRON_SHM_DISABLE_MEMFD: '1' };
    const exporter = startFixture('fallback-exporter.js', [], { uid: NOBODY, gid: NOBODY, env });
    const ended = finished(exporter);
    const next = () => new Promise<Record<string, unknown>>((resolve) => exporter.once('message', resolve));
    try {
      const first = await next();
      assert.equal(first['backing'], 'file');
      const got = await escalate('map', first['handle'] as string, NOBODY, true);
      // The mode keeps out only processes that will not change it: the file
      // fallback is for cooperating processes (docs/security.md).
      assert.deepEqual(got.routes, { reopenReadOnly: 'EACCES', reopen: 'EACCES', chmodAndReopen: 'OK' });
      const last = next();
      exporter.send('done');
      assert.deepEqual(await last, { size: 65536, mode: 0, uid: NOBODY, lastByte: 9, resizable: 65536 });
      const result = await ended;
      assert.equal(result.code, 0, result.stderr);
    } finally {
      if (exporter.exitCode === null) exporter.kill();
      await ended.catch(() => undefined);
    }
  });
});
