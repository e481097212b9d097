import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { limits } from 'electron-shm';
import { report, runFixture } from './helpers';

// Preloaded into the fixture: uses up all but ESHM_TEST_LEAVE_MAPS of the
// process's mappings before Node starts. vm.max_map_count is set for the
// whole machine, so the tests never lower it: each child uses it up.
const FILLER = path.join(__dirname, '..', 'build-tests', 'native', 'tests', 'libmap_count_filler.so');

const KINDS = ['AnonMap', 'SharedMemory', 'SysVSegment', 'ResizableMap', 'FrameChannel'] as const;

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
      it(`Tests that after ENOMEM from vm.max_map_count, ${kind}'s close() unmaps everything and the process goes on (${leave} mappings left)`, async () => {
        assert.ok(fs.existsSync(FILLER), `${FILLER} is built by scripts/test-all.sh (cmake --build build-tests)`);
        const result = await runFixture('map-count.js', [kind], {
          env: { ...process.env, LD_PRELOAD: FILLER, ESHM_TEST_LEAVE_MAPS: String(leave) },
        });
        assert.equal(result.signal, null, `the child was killed: ${result.stderr}`);
        assert.deepEqual(report(result), {
          ballast: 'ENOMEM',
          ballastLimit: 'vm.max_map_count',
          code: 'ENOMEM',
          limit: 'vm.max_map_count',
          made: true,
          stillShared: true,
          closeError: 'none',
          closed: true,
          left: 0,
          mappedAgain: true,
          leftAtEnd: 0,
        });
        assert.equal(result.code, 0, result.stderr);
      });
    }
  }
});
