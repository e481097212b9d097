import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnonMap, importHandle, ShmError } from 'electron-shm';
import { finished, messageFrom, startFixture, throwsCode } from './helpers';

/** Permissions column of the /proc/self/maps lines of our memfd. */
function memfdPermissions(): string[] {
  const fs = require('node:fs') as typeof import('node:fs');
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('memfd:electron-shm'))
    .map((line) => line.split(/\s+/)[1]!);
}

describe('read-only sharing', () => {
  it('Tests that the importer of a read-only handle finds every route to a writable mapping closed, while the creator keeps writing', async () => {
    const map = AnonMap.create(8192);
    try {
      const writer = map.map();
      writer.bytes[0] = 17;
      const child = startFixture('read-only-escalation.ts');
      // Rejects, rather than waits for ever, if the child ends without replying.
      const reply = messageFrom<{ routes: Record<string, string>; firstByte: number }>(child);
      child.send(map.exportHandle({ readOnly: true }));
      const [{ routes, firstByte }, ended] = await Promise.all([reply, finished(child)]);
      assert.equal(ended.code, 0, ended.stderr);
      assert.equal(firstByte, 17);
      assert.deepEqual(routes, {
        apiWritableMap: 'EACCES', // refused before any system call
        mmapWritable: 'EACCES', // the descriptor is O_RDONLY
        reopenProcFd: 'WRITABLE', // a memfd can be reopened read-write…
        mmapReopened: 'EPERM', // …but F_SEAL_FUTURE_WRITE refuses a writable mapping
        writeReopened: 'EPERM', // …and write(2)
      });
      writer.bytes[1] = 18;
      assert.equal(writer.bytes[1], 18, 'the creator still writes through its mapping');
    } finally {
      map.close();
    }
  });

  it('Tests that read-only mappings really are read-only, as /proc/self/maps shows', () => {
    const map = AnonMap.create(4096);
    try {
      const imported = importHandle(map.exportHandle({ readOnly: true }));
      assert.equal(imported.readOnly, true);
      const view = imported.map();
      assert.equal(view.readOnly, true);
      assert.deepEqual(memfdPermissions(), ['r--s']);
      imported.close();
    } finally {
      map.close();
    }
  });

  it('Tests that a JS write into a read-only view kills only the process that tried', async () => {
    const map = AnonMap.create(4096);
    try {
      const view = map.map();
      view.bytes[0] = 1;
      const child = startFixture('write-read-only.ts');
      child.send(map.exportHandle({ readOnly: true }));
      const ended = await finished(child);
      assert.equal(ended.signal, 'SIGSEGV', `child ended with code ${ended.code}: ${ended.stdout} ${ended.stderr}`);
      assert.match(ended.stdout, /^mapped 1$/m);
      assert.doesNotMatch(ended.stdout, /WROTE/);
      assert.equal(view.bytes[0], 1);
    } finally {
      map.close();
    }
  });

  it('Tests that once sealed, a map offers no new writable mapping and no writable export', () => {
    const map = AnonMap.create(4096);
    try {
      const early = map.map();
      assert.equal(map.sealed, false);
      map.exportHandle({ readOnly: true });
      assert.equal(map.sealed, true);
      throwsCode(() => map.map(), 'EACCES', ShmError);
      throwsCode(() => map.exportHandle(), 'EACCES', ShmError);
      early.bytes[0] = 3;
      assert.equal(map.map(0, 4096, { readOnly: true }).bytes[0], 3);
    } finally {
      map.close();
    }
  });

  it('Tests that a read-only import can be re-exported only read-only', () => {
    const map = AnonMap.create(4096);
    try {
      const imported = importHandle(map.exportHandle({ readOnly: true }));
      throwsCode(() => imported.exportHandle(), 'EACCES', ShmError);
      const again = importHandle(imported.exportHandle({ readOnly: true }));
      assert.equal(again.readOnly, true);
      again.close();
      imported.close();
    } finally {
      map.close();
    }
  });
});
