import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, finished, report } from './helpers';

interface Refusal {
  code: string;
  limit?: string;
  message?: string;
}

/** Runs a scenario of dev-shm-small.js with a 1 MiB tmpfs on /dev/shm, in a mount namespace of its own. */
async function onSmallDevShm<T>(scenario: string): Promise<T> {
  const child = spawn('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /dev/shm && exec "$0" "$@"', process.execPath, path.join(FIXTURES, 'dev-shm-small.js'), scenario], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ELECTRON_SHM_DISABLE_MEMFD: '1' },
  });
  const result = await finished(child);
  assert.equal(result.code, 0, `ended by ${result.signal ?? `code ${result.code}`} (135 is a SIGBUS): ${result.stderr}`);
  return report<T>(result);
}

function assertNamesDevShm(refusal: Refusal): void {
  assert.equal(refusal.code, 'ENOSPC', JSON.stringify(refusal));
  assert.equal(refusal.limit, '/dev/shm');
  assert.match(refusal.message ?? '', /1048576 bytes free of 1048576/);
  // The whole path: a reader that cuts the message at 100 characters sees "of /".
  assert.match(refusal.message ?? '', /do not fit in the file system of \/dev\/shm \(/);
}

describe('a full /dev/shm (a 1 MiB tmpfs)', () => {
  it('Tests that creating a named segment larger than /dev/shm is ENOSPC naming it and leaves no name, while one that fits is written to its last byte', async () => {
    const got = await onSmallDevShm<{ tooLarge: Refusal; left: string[]; free: number }>('create');
    assertNamesDevShm(got.tooLarge);
    assert.deepEqual(got.left, []);
    assert.equal(got.free, 1 << 20, 'closing and unlinking gave every page back');
  });

  it('Tests that a file-backed anonymous map, and a resizable map growing, that do not fit are ENOSPC and the resizable map stays usable', async () => {
    const got = await onSmallDevShm<{ tooLarge: Refusal; left: string[]; grow: Refusal; after: { size: number; lastByte: number }; free: number }>('anonymous');
    assertNamesDevShm(got.tooLarge);
    assert.deepEqual(got.left, []);
    assert.equal(got.grow.code, 'ENOSPC', JSON.stringify(got.grow));
    assert.deepEqual(got.after, { size: 64 * 1024, lastByte: 2 });
    assert.equal(got.free, 1 << 20);
  });

  it('Tests that a resizable map grown into a file a peer lengthened (with ftruncate, reserving nothing) still reserves its pages: ENOSPC, not a SIGBUS, and the map stays usable', async () => {
    const got = await onSmallDevShm<{ grow: Refusal; after: { size: number; lastByte: number }; free: number }>('peerGrown');
    assert.equal(got.grow.code, 'ENOSPC', JSON.stringify(got.grow));
    assert.deepEqual(got.after, { size: 64 * 1024, lastByte: 5 });
    assert.equal(got.free, 1 << 20);
  });

  it('Tests that opening a segment another program made with ftruncate alone reserves its pages: ENOSPC when they do not fit (writable or read-only, filling nothing), readable and writable to the end when they do', async () => {
    const got = await onSmallDevShm<{ writable: Refusal; readOnly: Refusal; freeAfterRefusals: number; sum: number }>('unreserved');
    assertNamesDevShm(got.writable);
    assertNamesDevShm(got.readOnly);
    assert.equal(got.freeAfterRefusals, 1 << 20);
    assert.equal(got.sum, 0);
  });
});
