import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { limits } from 'electron-shm';
import { FIXTURES, RUNTIME_FLAGS, finished, notUnderEmulation, report, type ChildResult } from './helpers';

// Preloaded into the fixture: uses up all but ESHM_TEST_LEAVE_MAPS of the
// process's mappings before Node starts. vm.max_map_count is set for the
// whole machine, so the tests never lower it: each child uses it up.
const FILLER = path.join(__dirname, '..', 'build-tests', 'native', 'tests', 'libmap_count_filler.so');

// Under qemu-user the kernel counts the emulator's own mappings with the
// program's, and /proc/self/maps shows only the program's: the limit is met
// at another place than the one the filler and the module measure.
const EMULATED_SKIP = notUnderEmulation("qemu-user's own mappings count toward vm.max_map_count, unseen in /proc/self/maps");

const KINDS = ['AnonMap', 'SharedMemory', 'SysVSegment', 'ResizableMap', 'FrameChannel'] as const;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** map-count.js for `kind` under `flags`, with all but `leave` of its mappings used up. */
async function runAtTheLimit(kind: string, leave: number, flags: readonly string[]): Promise<ChildResult> {
  assert.ok(fs.existsSync(FILLER), `${FILLER} is built by scripts/test-all.sh (cmake --build build-tests)`);
  const child = spawn(process.execPath, [...flags, path.join(FIXTURES, 'map-count.js'), kind], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LD_PRELOAD: FILLER, ESHM_TEST_LEAVE_MAPS: String(leave) },
  });
  return finished(child, 60_000);
}

function assertWentOn(result: ChildResult, kind: string): void {
  assert.equal(result.signal, null, `the child was killed: ${result.stderr}`);
  assert.deepEqual(report(result), {
    ballast: 'ENOMEM',
    ballastLimit: 'vm.max_map_count',
    code: 'ENOMEM',
    limit: 'vm.max_map_count',
    made: true,
    grow: kind === 'ResizableMap' ? 'ENOMEM vm.max_map_count' : 'none',
    stillShared: true,
    closeError: 'none',
    closed: true,
    left: 0,
    mappedAgain: true,
    leftAtEnd: 0,
  });
  assert.equal(result.code, 0, result.stderr);
}

describe('views at vm.max_map_count', () => {
  it('Tests that limits() reports vm.max_map_count', () => {
    assert.equal(limits().maxMapCount, Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8')));
  });

  for (const kind of KINDS) {
    // Two runs, one mapping apart: a placement that starts one short of the
    // limit splits a mapping and ends one over it, where the kernel refuses
    // every new mapping (close() included, before the reserve); one that
    // starts at the limit is refused. Which one a run meets depends on the
    // parity of what Node mapped by then.
    for (const leave of [3000, 3001]) {
      it(`Tests that after ENOMEM from vm.max_map_count, ${kind}'s close() unmaps everything and the process goes on (${leave} mappings left)`, { skip: EMULATED_SKIP }, async () => {
        assertWentOn(await runAtTheLimit(kind, leave, RUNTIME_FLAGS), kind);
      });
    }
  }

  for (const leave of [3000, 3001]) {
    it(`Tests the same of views in an untransferable ArrayBuffer, where a runtime has no SharedArrayBuffer (${leave} mappings left)`, {
      skip: (NODE_MAJOR < 24 && 'Node 20 and 22 refuse views without SharedArrayBuffer') || EMULATED_SKIP,
    }, async () => {
      assertWentOn(await runAtTheLimit('AnonMap', leave, ['--jitless', '--enable-sharedarraybuffer-per-context']), 'AnonMap');
    });
  }
});
