import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, inheritedMap, spawnWithMaps, ShmError } from 'electron-shm';
import { finished, nodeArgs, report, throwsCode } from './helpers';

describe('inheritance at spawn', () => {
  it('Tests that a child gets maps by name, reads the parent\'s bytes and writes back', async () => {
    const frames = AnonMap.create(8192);
    const audio = AnonMap.create(16384);
    try {
      const fv = frames.map();
      const av = audio.map();
      new TextEncoder().encodeInto('frames from parent', fv.bytes);
      new TextEncoder().encodeInto('audio from parent', av.bytes);
      const child = spawnWithMaps(process.execPath, nodeArgs('inherit-child.ts', ['frames', 'audio', 'missing']), {
        maps: { frames, audio },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await finished(child);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(report(result), {
        frames: { read: 'frames from parent', readOnly: false, size: 8192, again: true },
        audio: { read: 'audio from parent', readOnly: false, size: 16384, again: true },
        missing: { error: 'ENOENT' },
      });
      assert.equal(new TextDecoder().decode(fv.bytes.subarray(4096, 4096 + 17)), 'frames from child');
      assert.equal(new TextDecoder().decode(av.bytes.subarray(4096, 4096 + 16)), 'audio from child');
    } finally {
      frames.close();
      audio.close();
    }
  });

  it('Tests that a map handed down read-only arrives read-only and the parent keeps writing', async () => {
    const map = AnonMap.create(8192);
    try {
      const view = map.map();
      new TextEncoder().encodeInto('read me', view.bytes);
      const child = spawnWithMaps(process.execPath, nodeArgs('inherit-child.ts', ['ro']), {
        maps: { ro: { map, readOnly: true } },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await finished(child);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(report(result), { ro: { read: 'read me', readOnly: true, size: 8192, again: true } });
      view.bytes[0] = 0x52;
      assert.equal(view.bytes[4096], 0, 'the child could not write');
    } finally {
      map.close();
    }
  });

  it('Tests that a process that inherited nothing gets ENOENT by name', () => {
    throwsCode(() => inheritedMap('frames'), 'ENOENT', ShmError);
  });

  it('Tests that bad names and bad map specs are refused', () => {
    const map = AnonMap.create(4096);
    try {
      throwsCode(() => inheritedMap(''), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => inheritedMap('a,b'), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => inheritedMap(3 as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      const spawnIt = (maps: unknown) => spawnWithMaps(process.execPath, ['-e', ''], { maps } as never);
      throwsCode(() => spawnIt(undefined), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => spawnIt({ 'bad name': map }), 'ERR_INVALID_ARG_VALUE', TypeError);
      throwsCode(() => spawnIt({ x: 5 }), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => spawnIt({ x: { map: {} } }), 'ERR_INVALID_ARG_TYPE', TypeError);
      throwsCode(() => spawnWithMaps(process.execPath, [], undefined as never), 'ERR_INVALID_ARG_TYPE', TypeError);
      const closed = AnonMap.create(4096);
      closed.close();
      throwsCode(() => spawnIt({ closed }), 'ERR_CLOSED', ShmError);
    } finally {
      map.close();
    }
  });
});
