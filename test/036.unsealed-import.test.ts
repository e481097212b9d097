import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, FrameChannel, ResizableMap, ShmError, importHandle } from 'electron-shm';
import { finished, openFdCount, startFixture, throwsCode, uniqueName } from './helpers';

interface Handles {
  backing: string;
  map: string;
  channel: string;
  resizable: string;
  named: string;
}

const importers = {
  map: (handle: string, allowUnsealed?: boolean) => importHandle(handle, allowUnsealed === undefined ? undefined : { allowUnsealed }),
  channel: (handle: string, allowUnsealed?: boolean) => FrameChannel.import(handle, allowUnsealed === undefined ? undefined : { allowUnsealed }),
  resizable: (handle: string, allowUnsealed?: boolean) => ResizableMap.import(handle, allowUnsealed === undefined ? undefined : { allowUnsealed }),
  named: (handle: string, allowUnsealed?: boolean) => importHandle(handle, allowUnsealed === undefined ? undefined : { allowUnsealed }),
};

describe('importing memory whose size another process can change', () => {
  it('Tests that the file fallback, and a named segment sent as a handle, are refused with ERR_UNSEALED unless allowUnsealed is true, and no descriptor is left behind', async () => {
    const exporter = startFixture('unsealed-exporter.js', [uniqueName('unsealed')], { env: { ...process.env, ELECTRON_SHM_DISABLE_MEMFD: '1' } });
    const ended = finished(exporter);
    try {
      const handles = await new Promise<Handles>((resolve) => exporter.once('message', resolve));
      assert.equal(handles.backing, 'file');
      const before = openFdCount();
      for (const kind of ['map', 'channel', 'resizable', 'named'] as const) {
        throwsCode(() => importers[kind](handles[kind]), 'ERR_UNSEALED', ShmError);
        throwsCode(() => importers[kind](handles[kind], false), 'ERR_UNSEALED', ShmError);
      }
      assert.equal(openFdCount(), before, 'a refused import closes what it received');

      const map = importers.map(handles.map, true);
      assert.equal(map.map().bytes[65535], 9);
      map.close();
      importers.channel(handles.channel, true).close();
      const resizable = importers.resizable(handles.resizable, true);
      assert.equal(resizable.size, 65536);
      resizable.close();
      importers.named(handles.named, true).close();
      exporter.send('stop');
      assert.equal((await ended).code, 0);
    } finally {
      exporter.kill('SIGKILL');
      await ended.catch(() => {});
    }
  });

  it("Tests that an exporter's file shrunk to nothing cannot kill an importer that refused it (the review's SIGBUS in tryReceive)", async () => {
    const exporter = startFixture('unsealed-exporter.js', [uniqueName('unsealed')], { env: { ...process.env, ELECTRON_SHM_DISABLE_MEMFD: '1' } });
    const ended = finished(exporter);
    const importer = startFixture('unsealed-importer.js');
    const importerEnded = finished(importer);
    try {
      const handles = await new Promise<Handles>((resolve) => exporter.once('message', resolve));
      importer.send(handles.channel);
      assert.deepEqual(await new Promise((resolve) => importer.once('message', resolve)), { imported: 'ERR_UNSEALED' });
      exporter.send('truncate');
      await new Promise((resolve) => exporter.once('message', resolve));
      importer.send('receive');
      const result = await importerEnded;
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.code, 0, result.stderr);
      exporter.send('stop');
      assert.equal((await ended).code, 0);
    } finally {
      exporter.kill('SIGKILL');
      importer.kill('SIGKILL');
      await Promise.all([ended.catch(() => {}), importerEnded.catch(() => {})]);
    }
  });

  it("Tests that a resizable map's memory is refused by importHandle with ERR_UNSEALED, whatever kind its handle claims: it can grow", () => {
    const map = ResizableMap.create(4096, { span: 1 << 20 });
    try {
      throwsCode(() => importHandle(map.exportHandle()), 'ERR_HANDLE_INVALID', ShmError);
      // An exporter that lies about the kind: the memory itself is refused.
      throwsCode(() => importHandle(map.exportHandle().replace(':resizable:', ':map:')), 'ERR_UNSEALED', ShmError);
      throwsCode(() => FrameChannel.import(map.exportHandle().replace(':resizable:', ':frames:')), 'ERR_UNSEALED', ShmError);
    } finally {
      map.close();
    }
  });

  it('Tests that a memfd export, sealed as this module seals it, imports without allowUnsealed', () => {
    const map = AnonMap.create(4096);
    const resizable = ResizableMap.create(4096, { span: 1 << 20 });
    const channel = FrameChannel.create({ width: 16, height: 16 });
    try {
      assert.equal(map.backing, 'memfd');
      importHandle(map.exportHandle()).close();
      ResizableMap.import(resizable.exportHandle()).close();
      FrameChannel.import(channel.exportHandle()).close();
    } finally {
      map.close();
      resizable.close();
      channel.close();
    }
  });

  it('Tests that a non-boolean allowUnsealed is ERR_INVALID_ARG_TYPE, before anything is imported', () => {
    const map = AnonMap.create(4096);
    const channel = FrameChannel.create({ width: 16, height: 16 });
    const resizable = ResizableMap.create(4096, { span: 1 << 20 });
    try {
      const handles = { map: map.exportHandle({ once: true }), channel: channel.exportHandle({ once: true }), resizable: resizable.exportHandle({ once: true }) };
      throwsCode(() => importHandle(handles.map, { allowUnsealed: 'yes' as unknown as boolean }), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => FrameChannel.import(handles.channel, { allowUnsealed: 1 as unknown as boolean }), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => ResizableMap.import(handles.resizable, { allowUnsealed: null as unknown as boolean }), 'ERR_INVALID_ARG_TYPE', TypeError);
      // The once handles were not used up by the refusals.
      importHandle(handles.map).close();
      FrameChannel.import(handles.channel).close();
      ResizableMap.import(handles.resizable).close();
    } finally {
      map.close();
      channel.close();
      resizable.close();
    }
  });
});
