/**
 * SharedMemory against Python's multiprocessing.shared_memory (Debian's
 * python3), both ways, with the names Python uses. Python 3.8 to 3.12
 * register a segment with their resource tracker even when they only
 * attach, and the tracker unlinks it when that process ends: the tests
 * show it, and the way around it that docs/api.md gives.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SharedMemory } from 'electron-shm';
import { FIXTURES, finished, pollUntil, uniqueName } from './helpers';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(FIXTURES, 'python-shm.py');

function python(args: string[]) {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} is Debian's python3 (bash scripts/setup.sh test installs it)`);
  return spawn(PYTHON, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

function text(bytes: Uint8Array, offset: number): string {
  const end = bytes.indexOf(0, offset);
  return new TextDecoder().decode(bytes.subarray(offset, end < 0 ? offset + 64 : end));
}

/** Whether /dev/shm/`name` is gone within `ms`, scaled by SLOWDOWN (the tracker unlinks it just after Python exits). */
function goneWithin(name: string, ms: number): Promise<boolean> {
  return pollUntil(() => !fs.existsSync(`/dev/shm/${name}`), ms);
}

describe('SharedMemory and Python', () => {
  it('Tests that Python attaches to a segment Node made, under a name with a space and a colon, and Node sees what it wrote', async () => {
    const name = uniqueName('py shm:1');
    const shm = SharedMemory.open(name, 8192, { create: true, exclusive: true });
    try {
      const view = shm.attach();
      new TextEncoder().encodeInto('from node', view.bytes);
      // Python 3.11's tracker splits its records at ":", so it fails to
      // register this name (a ValueError on stderr) and leaves it alone.
      const result = await finished(python(['attach', name, 'keep']));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'from node 8192\n');
      assert.equal(text(view.bytes, 16), 'from python');
      assert.equal(await goneWithin(name, 500), false, 'the segment stays');
    } finally {
      shm.close();
      SharedMemory.unlink(name);
    }
  });

  it("Tests that without unregistering, Python's resource tracker unlinks a segment Node made once Python ends", async () => {
    const name = uniqueName('py tracked');
    const shm = SharedMemory.open(name, 4096, { create: true, exclusive: true });
    try {
      const view = shm.attach();
      const result = await finished(python(['attach', name]));
      assert.equal(result.code, 0, result.stderr);
      assert.ok(await goneWithin(name, 5000), 'the tracker unlinked the name');
      assert.equal(text(view.bytes, 16), 'from python', 'the memory lives on in this process');
    } finally {
      shm.close();
      try {
        SharedMemory.unlink(name);
      } catch {
        // gone already: the point of the test
      }
    }
  });

  it('Tests that a Python process that takes the segment off its resource tracker leaves it to Node, with no warning', async () => {
    const name = uniqueName('py kept');
    const shm = SharedMemory.open(name, 4096, { create: true, exclusive: true });
    try {
      const result = await finished(python(['attach', name, 'keep']));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '', 'no warning from the resource tracker');
      assert.equal(await goneWithin(name, 500), false, 'the segment stays');
      assert.equal(text(shm.attach().bytes, 16), 'from python');
    } finally {
      shm.close();
      SharedMemory.unlink(name);
    }
  });

  it('Tests that Node opens a segment Python made, by the name Python reports, and Python sees what Node wrote', async () => {
    const name = uniqueName('from python');
    const child = python(['create', name, '4096']);
    const ended = finished(child);
    try {
      const reported = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
      assert.equal(reported, name);
      const shm = SharedMemory.open(reported, 4096);
      try {
        const view = shm.attach();
        assert.equal(text(view.bytes, 0), 'from python');
        new TextEncoder().encodeInto('from node', view.bytes.subarray(16));
      } finally {
        shm.close();
      }
      child.stdin!.end('\n');
      const result = await ended;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\nfrom node\n$/);
      assert.equal(fs.existsSync(`/dev/shm/${name}`), false, 'Python unlinked it');
    } finally {
      child.kill();
    }
  });
});
