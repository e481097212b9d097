import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AnonMap, Attachment, IPC_PRIVATE, limits, SharedMemory, ShmError, SysVSegment } from 'electron-shm';
import { FIXTURES, finished, nodeArgs, report, startFixture, throwsCode, uniqueName } from './helpers';

/** Keys of test segments: 0x45 in the top byte (scripts/test-all.sh checks none is left). */
function testKey(): number {
  return 0x45000000 | Math.floor(Math.random() * 0x1000000);
}

/** Runs a fixture behind a command that changes its process (unshare, prlimit, setpriv). */
async function runFixtureUnder(prefix: string[], fixture: string) {
  const child = spawn(prefix[0]!, [...prefix.slice(1), process.execPath, ...nodeArgs(fixture)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  return report(result);
}

describe('System V segments', () => {
  it('Tests create, exclusive create, open, and the errors of a missing or too small segment', () => {
    const key = testKey();
    const segment = SysVSegment.open(key, { create: true, exclusive: true, size: 10_000, mode: 0o640 });
    try {
      assert.equal(segment.created, true);
      assert.equal(segment.key, key);
      assert.equal(segment.size, 10_000);
      throwsCode(() => SysVSegment.open(key, { create: true, exclusive: true, size: 10_000 }), 'EEXIST', ShmError);
      const again = SysVSegment.open(key);
      assert.equal(again.id, segment.id);
      assert.equal(again.created, false);
      assert.equal(SysVSegment.open(key, { create: true, size: 10_000 }).created, false);
      throwsCode(() => SysVSegment.open(key, { size: 20_000 }), 'EINVAL', ShmError);
      assert.equal(segment.stat().mode, 0o640);
    } finally {
      segment.remove();
    }
    throwsCode(() => SysVSegment.open(key), 'ENOENT', ShmError);
  });

  it('Tests that a path is made into a key (ftok), and a missing path is ENOENT', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eshm-test-'));
    try {
      const file = path.join(dir, 'key');
      fs.writeFileSync(file, '');
      assert.equal(SysVSegment.keyOf(file, 7), SysVSegment.keyOf(file, 7));
      assert.notEqual(SysVSegment.keyOf(file, 7), SysVSegment.keyOf(file, 8));
      const segment = SysVSegment.open(file, { create: true, exclusive: true, size: 4096, projectId: 7 });
      try {
        assert.equal(segment.key, SysVSegment.keyOf(file, 7));
        assert.equal(SysVSegment.open(file, { projectId: 7 }).id, segment.id);
      } finally {
        segment.remove();
      }
      throwsCode(() => SysVSegment.keyOf(path.join(dir, 'missing')), 'ENOENT', ShmError);
      throwsCode(() => SysVSegment.open(path.join(dir, 'missing'), { create: true, size: 4096 }), 'ENOENT', ShmError);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('Tests that each bad argument is refused with its code before any system call', () => {
    throwsCode(() => SysVSegment.open(1.5), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => SysVSegment.open(2 ** 31), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => SysVSegment.open(null as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => SysVSegment.open(IPC_PRIVATE), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => SysVSegment.open(testKey(), { create: true }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => SysVSegment.open(testKey(), { create: true, size: 0 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => SysVSegment.open(testKey(), { create: true, size: 4096, mode: 0o1777 }), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => SysVSegment.open(testKey(), { create: 'yes' as unknown as boolean }), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => SysVSegment.open(testKey(), { projectId: 2 }), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => SysVSegment.open(testKey(), { colour: 'blue' } as object), 'ERR_INVALID_ARG_VALUE', TypeError);
    throwsCode(() => SysVSegment.keyOf('', 1), 'ERR_INVALID_ARG_TYPE', TypeError);
    throwsCode(() => SysVSegment.keyOf('/', 0), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => SysVSegment.keyOf('/', 256), 'ERR_OUT_OF_RANGE', RangeError);
    throwsCode(() => SysVSegment.fromId(-1), 'ERR_OUT_OF_RANGE', RangeError);
  });

  it('Tests that an id with no segment is refused, and a removed segment cannot be attached', () => {
    const segment = SysVSegment.open(IPC_PRIVATE, { create: true, size: 4096 });
    segment.remove();
    throwsCode(() => SysVSegment.fromId(segment.id), 'EINVAL', ShmError);
    throwsCode(() => segment.attach(), 'EINVAL', ShmError);
    throwsCode(() => segment.stat(), 'EINVAL', ShmError);
  });

  it('Tests that attachments share the bytes, read-only ones included, and that the status counts them', () => {
    const segment = SysVSegment.open(IPC_PRIVATE, { create: true, size: 5000 });
    try {
      const writer = segment.attach();
      const reader = segment.attach({ readOnly: true });
      assert.equal(writer.length, 5000);
      new TextEncoder().encodeInto('hello', writer.bytes);
      assert.equal(new TextDecoder().decode(reader.bytes.subarray(0, 5)), 'hello');
      const status = segment.stat();
      assert.equal(status.attachCount, 2);
      assert.equal(status.creatorPid, process.pid);
      assert.equal(status.lastPid, process.pid);
      assert.equal(status.uid, process.getuid!());
      assert.equal(status.creatorUid, process.getuid!());
      assert.equal(status.gid, process.getgid!());
      assert.ok(status.attachTime instanceof Date && status.attachTime.getTime() > Date.now() - 60_000);
      assert.equal(status.detachTime, null);
      assert.ok(status.changeTime instanceof Date);
      assert.equal(status.removed, false);
      assert.ok(reader instanceof Attachment, 'SharedMemory and SysVSegment attach the same type');
      reader.detach();
      assert.equal(reader.length, 0);
      const afterDetach = segment.stat();
      assert.equal(afterDetach.attachCount, 1);
      assert.ok(afterDetach.detachTime instanceof Date);
      segment.close();
      assert.equal(writer.length, 0);
      assert.equal(segment.stat().attachCount, 0);
    } finally {
      segment.remove();
    }
  });

  it('Tests that remove() waits for the last process to detach: the other process keeps using it, then it is gone', async () => {
    const key = testKey();
    const segment = SysVSegment.open(key, { create: true, exclusive: true, size: 8192 });
    let child;
    try {
      const view = segment.attach();
      new TextEncoder().encodeInto('hello', view.bytes);
      child = startFixture('sysv-holder.ts', [String(segment.id)]);
      const messages: Record<string, unknown>[] = [];
      const next = () => new Promise<Record<string, unknown>>((resolve) => child!.once('message', resolve));
      const ended = finished(child);
      messages.push(await next());
      assert.equal(messages[0]!['attached'], true);
      assert.equal(messages[0]!['lastPid'], child.pid);
      view.detach();

      segment.remove();
      const removed = segment.stat();
      assert.equal(removed.removed, true);
      assert.equal(removed.attachCount, 1);
      assert.equal(removed.lastPid, process.pid); // our detach came after the child's attach
      throwsCode(() => SysVSegment.open(key), 'ENOENT', ShmError);

      child.send('check');
      assert.deepEqual(await next(), { greeting: 'hello', after: 'written after remove' });
      child.send('exit');
      assert.deepEqual(await next(), { detached: true });
      assert.equal((await ended).code, 0);
      throwsCode(() => segment.stat(), 'EINVAL', ShmError);
    } finally {
      child?.kill();
      try {
        segment.remove();
      } catch {
        // already destroyed: the point of the test
      }
    }
  });
});

describe('with a C program', () => {
  it('Tests that a segment a plain C program made with shmget is shared both ways', async () => {
    const peer = path.join(__dirname, '..', 'build-tests', 'native', 'tests', 'sysv_peer');
    assert.ok(fs.existsSync(peer), `${peer} is built by scripts/test-all.sh (cmake --build build-tests)`);
    const key = testKey();
    const child = spawn(peer, [String(key)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const ended = finished(child);
    const firstLine = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    const segment = SysVSegment.open(key);
    try {
      assert.equal(segment.id, Number(firstLine.trim()));
      const view = segment.attach();
      assert.equal(new TextDecoder().decode(view.bytes.subarray(0, 12)), 'hello from C');
      new TextEncoder().encodeInto('hello from Node\0', view.bytes.subarray(100));
      assert.equal(segment.stat().attachCount, 2);
      child.stdin!.end('go\n');
      const result = await ended;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /hello from Node/);
      assert.equal(segment.stat().creatorPid, child.pid);
    } finally {
      segment.remove();
    }
  });
});

describe('what another user may do', () => {
  it("Tests that another user (nobody) may attach a segment its mode lets it read, only read-only, and may neither remove nor lock it", async () => {
    const segment = SysVSegment.open(IPC_PRIVATE, { create: true, size: 4096, mode: 0o604 });
    try {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(FIXTURES, 'sysv-stranger.js'), String(segment.id)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await finished(child);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(report(result), { attachReadOnly: 'ok', attachReadWrite: 'EACCES', remove: 'EPERM', lock: 'EPERM', lockLimit: null });
      assert.equal(segment.stat().removed, false);
    } finally {
      segment.remove();
    }
  });
});

describe('locking into RAM', () => {
  it('Tests that a view and a segment lock and unlock (as root, with CAP_IPC_LOCK)', () => {
    const map = AnonMap.create(1 << 20);
    const segment = SysVSegment.open(IPC_PRIVATE, { create: true, size: 1 << 20 });
    try {
      const view = map.map();
      view.lock();
      assert.match(fs.readFileSync('/proc/self/status', 'utf8'), /VmLck:\s+[1-9]/);
      view.unlock();
      segment.lock();
      assert.equal(segment.stat().locked, true);
      segment.unlock();
      assert.equal(segment.stat().locked, false);
      view.unmap();
      throwsCode(() => view.lock(), 'ERR_CLOSED', ShmError);
    } finally {
      map.close();
      segment.remove();
    }
  });

  it('Tests that a lock beyond RLIMIT_MEMLOCK, without CAP_IPC_LOCK, is refused with an error naming the limit', async () => {
    const got = await runFixtureUnder(['prlimit', '--memlock=65536:65536', 'setpriv', '--bounding-set=-ipc_lock'], 'memlock-limits.ts');
    assert.deepEqual(got['memlock'], { soft: 65536, hard: 65536 });
    assert.equal(got['smallLocked'], true);
    for (const what of ['view', 'segment']) {
      const refusal = got[what] as { code: string; limit: string; message: string };
      assert.equal(refusal.code, 'ENOMEM', `${what}: ${JSON.stringify(refusal)}`);
      assert.equal(refusal.limit, 'RLIMIT_MEMLOCK');
      assert.match(refusal.message, /RLIMIT_MEMLOCK \(65536 bytes/);
    }
  });
});

describe('limits', () => {
  it("Tests that limits() reports the kernel's values, /dev/shm's space and RLIMIT_MEMLOCK", () => {
    const now = limits();
    assert.equal(now.shmmax, BigInt(fs.readFileSync('/proc/sys/kernel/shmmax', 'utf8').trim()));
    assert.equal(now.shmall, BigInt(fs.readFileSync('/proc/sys/kernel/shmall', 'utf8').trim()));
    assert.equal(now.shmmni, Number(fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8').trim()));
    assert.equal(now.pageSize, 4096);
    assert.ok(now.devShm !== null && now.devShm.free > 0 && now.devShm.free <= now.devShm.size);
    const segment = SysVSegment.open(IPC_PRIVATE, { create: true, size: 3 * 4096 });
    try {
      const withOne = limits().segments;
      assert.ok(withOne.count >= 1 && withOne.pages >= 3);
    } finally {
      segment.remove();
    }
  });

  it('Tests that shmget refused by shmmax, shmmni or shmall names the limit (in an IPC namespace of its own)', async () => {
    const got = await runFixtureUnder(['unshare', '--ipc'], 'sysv-limits.ts');
    assert.equal(got['shmmaxRead'], String(1 << 20));
    for (const [name, code] of [['shmmax', 'EINVAL'], ['shmmni', 'ENOSPC'], ['shmall', 'ENOSPC']] as const) {
      const refusal = got[name] as { code: string; limit: string; message: string };
      assert.equal(refusal?.code, code, `${name}: ${JSON.stringify(refusal)}`);
      assert.equal(refusal.limit, name);
      assert.match(refusal.message, new RegExp(`kernel\\.${name}`));
    }
  });
});

describe('/dev/shm space', () => {
  it("Tests that a frame channel's allocation refused by a full /dev/shm names it (a 1 MiB tmpfs, in a mount namespace of its own)", async () => {
    const child = spawn('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /dev/shm && exec "$0" "$@"', process.execPath, path.join(FIXTURES, 'dev-shm-full.js')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_SHM_DISABLE_MEMFD: '1' },
    });
    const result = await finished(child);
    assert.equal(result.code, 0, result.stderr);
    const got = report<{ code: string; limit: string; message: string }>(result);
    assert.equal(got.code, 'ENOSPC');
    assert.equal(got.limit, '/dev/shm');
    assert.match(got.message, /1048576 bytes free of 1048576/);
  });
});

describe('status of anonymous and named maps', () => {
  it('Tests that stat() gives size, mode, owner and times, and ERR_CLOSED after close', () => {
    const map = AnonMap.create(12_345);
    const named = SharedMemory.open(uniqueName('stat'), 8192, { create: true, exclusive: true, mode: 0o640 });
    try {
      const status = map.stat();
      assert.equal(status.size, 12_345);
      assert.equal(status.uid, process.getuid!());
      assert.ok(status.modifyTime instanceof Date && status.changeTime instanceof Date && status.accessTime instanceof Date);
      const namedStatus = named.stat();
      assert.equal(namedStatus.size, 8192);
      assert.equal(namedStatus.mode, 0o640);
    } finally {
      map.close();
      named.close();
      SharedMemory.unlink(named.name);
    }
    throwsCode(() => map.stat(), 'ERR_CLOSED', ShmError);
  });
});
