import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { AnonMap, importHandle } from 'electron-shm';
import { errorCode, finished, startFixture, stopped } from './helpers';

interface ImportResult {
  read?: string;
  readOnly?: boolean;
  size?: number;
  error?: string;
}

/** Sends the importer its command and returns its report. */
async function importIn(child: ChildProcess, command: object): Promise<ImportResult[]> {
  const reply = new Promise<ImportResult[]>((resolve) => child.once('message', resolve));
  child.send(command);
  const [result, ended] = await Promise.all([reply, finished(child)]);
  assert.equal(ended.code, 0, ended.stderr);
  return result;
}

describe('handle strings between processes', () => {
  it('Tests that a child that inherited no descriptor imports, reads and writes back through views', async () => {
    const map = AnonMap.create(1 << 20);
    try {
      const view = map.map();
      new TextEncoder().encodeInto('hello from parent', view.bytes);
      const child = startFixture('importer.ts');
      const [result] = await importIn(child, { handle: map.exportHandle(), reply: 'hello from child', replyAt: 8192 });
      assert.deepEqual(result, { read: 'hello from parent', size: 1 << 20, readOnly: false });
      assert.equal(new TextDecoder().decode(view.bytes.subarray(8192, 8192 + 16)), 'hello from child');
    } finally {
      map.close();
    }
  });

  it('Tests that a handle bound to a pid is imported by that process only', async () => {
    const map = AnonMap.create(4096);
    const bound = startFixture('importer.ts');
    const stranger = startFixture('importer.ts');
    try {
      const handle = map.exportHandle({ pid: bound.pid! });
      const [refused] = await importIn(stranger, { handle });
      assert.equal(refused!.error, 'EACCES');
      const [accepted] = await importIn(bound, { handle });
      assert.equal(accepted!.error, undefined);
    } finally {
      map.close();
    }
  });

  it('Tests that a once handle replayed by a second import is ERR_HANDLE_REVOKED', async () => {
    const map = AnonMap.create(4096);
    try {
      const results = await importIn(startFixture('importer.ts'), { handle: map.exportHandle({ once: true }), attempts: 2 });
      assert.equal(results[0]!.error, undefined);
      assert.equal(results[1]!.error, 'ERR_HANDLE_REVOKED');
    } finally {
      map.close();
    }
  });

  it('Tests that a revoked handle fails in the child while maps imported before stay valid', async () => {
    const map = AnonMap.create(4096);
    try {
      const handle = map.exportHandle();
      map.revokeHandle(handle);
      const [result] = await importIn(startFixture('importer.ts'), { handle });
      assert.equal(result!.error, 'ERR_HANDLE_REVOKED');
    } finally {
      map.close();
    }
  });

  it('Tests that a process of another uid is refused', { skip: process.getuid?.() !== 0 && 'needs root to start a process as another uid' }, async () => {
    const map = AnonMap.create(4096);
    try {
      const child = startFixture('importer.ts', [], { uid: 65534, gid: 65534 });
      const [result] = await importIn(child, { handle: map.exportHandle() });
      assert.equal(result!.error, 'EACCES');
    } finally {
      map.close();
    }
  });

  it('Tests that a handle whose exporter has exited is ERR_HANDLE_REVOKED', async () => {
    const exporter = startFixture('exporter.ts');
    const handle = await new Promise<string>((resolve) => exporter.once('message', resolve));
    exporter.kill('SIGKILL');
    await finished(exporter);
    const [result] = await importIn(startFixture('importer.ts'), { handle });
    assert.equal(result!.error, 'ERR_HANDLE_REVOKED');
  });

  it('Tests that an exporter that does not answer in time is ETIMEDOUT', async () => {
    const exporter = startFixture('exporter.ts');
    try {
      const handle = await new Promise<string>((resolve) => exporter.once('message', resolve));
      // Stopped, its broker thread still holds the socket but cannot answer.
      exporter.kill('SIGSTOP');
      await stopped(exporter.pid!);
      const started = Date.now();
      assert.equal(errorCode(() => importHandle(handle, { timeoutMs: 300 })), 'ETIMEDOUT');
      assert.ok(Date.now() - started >= 250, 'the import waited for its timeout');
    } finally {
      exporter.kill('SIGKILL');
      await finished(exporter);
    }
  });
});
