import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, finished, report } from './helpers';
import { routes } from './view-routes';

/**
 * Tests that no route JavaScript has to a view's buffer (transfer, clone,
 * post, resize, a worker and its end) moves, frees or shrinks memory that is
 * still shared, and that once unmapped nothing of this process reaches the
 * shared pages. Each route runs here, in the runtime of the test, and again
 * in child processes under V8 settings that change what views live in.
 */
describe('views against every route to their buffer, in this runtime', () => {
  it("Tests that transfer() cannot move a view's buffer, where the runtime has it", routes.transfer!);
  it("Tests that transferToFixedLength() cannot move a view's buffer, where the runtime has it", routes.transferToFixedLength!);
  it('Tests that structuredClone refuses to transfer a view, and a clone reaches nothing after close', routes.structuredCloneWithTransfer!);
  it('Tests that postMessage refuses to transfer a view, and what it delivers reaches nothing after close', routes.postMessageWithTransfer!);
  it("Tests that a view's buffer can be neither resized nor grown", routes.resize!);
  it("Tests that a resizable map's buffer cannot shrink, so no process's bytes are zeroed", routes.resizableMapShrink!);
  it('Tests that a view posted to a worker of this process reaches nothing once the map closes', routes.postToWorker!);
  it('Tests that terminating a worker that holds a view leaves the view whole and shared', routes.terminateHoldingWorker!);
  it('Tests that a view a terminated worker made and posted here no longer reaches the shared memory', routes.terminateMappingWorker!);
});

interface RunnerReport {
  kind: string;
  routes: Record<string, string>;
}

async function runRoutesUnder(flags: string[]): Promise<RunnerReport> {
  const child = spawn(process.execPath, [...flags, path.join(FIXTURES, 'view-routes-runner.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await finished(child, 60_000);
  assert.equal(result.code, 0, `the runner failed: ${result.stderr}`);
  return report<RunnerReport>(result);
}

const ALL_OK = Object.fromEntries(Object.keys(routes).map((name) => [name, 'ok']));
// From Node 24 on, an untransferable ArrayBuffer cannot be detached (measured: docs/zero-copy-views.md).
const PINS_UNTRANSFERABLE = Number(process.versions.node.split('.')[0]) >= 24;

describe('views under other V8 settings, in child processes', () => {
  it("Tests that under Chromium's setting, with no SharedArrayBuffer global, views live in shared WebAssembly memory's kind and every route holds", async () => {
    const got = await runRoutesUnder(['--enable-sharedarraybuffer-per-context']);
    assert.deepEqual(got, { kind: 'SharedArrayBuffer', routes: ALL_OK });
  });

  it(`Tests that with no SharedArrayBuffer at all, Node ${process.versions.node} ${PINS_UNTRANSFERABLE ? 'places views in pinned ArrayBuffers and every route holds' : 'refuses views with ENOTSUP'}`, async () => {
    const got = await runRoutesUnder(['--jitless', '--enable-sharedarraybuffer-per-context']);
    if (PINS_UNTRANSFERABLE) {
      // A resizable map needs a buffer that cannot shrink: only a growable SharedArrayBuffer.
      assert.deepEqual(got, { kind: 'ArrayBuffer', routes: { ...ALL_OK, resizableMapShrink: 'ENOTSUP' } });
    } else {
      assert.deepEqual(got, { kind: 'ENOTSUP', routes: Object.fromEntries(Object.keys(routes).map((name) => [name, 'ENOTSUP'])) });
    }
  });
});
