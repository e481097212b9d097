import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { FrameChannel, type FramePolicy } from 'electron-shm';
import { nodeArgs, SLOWDOWN } from './helpers';

// Where the header's fields are (native/core/frame_channel.h): the fixed
// part, the publisher's words, then 64-byte entries for slots, endpoints and
// subscribers.
const SLOTS_AT = 128;
const ENDPOINTS_AT = SLOTS_AT + 64 * 64;
const SUBSCRIBERS_AT = ENDPOINTS_AT + 64 * 64;
const HEADER_BYTES = SUBSCRIBERS_AT + 64 * 64;
type Field = [offset: number, width: number];
const FIXED: Field[] = [[0, 8], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4], [32, 4], [36, 4], [40, 8], [48, 8], [56, 8]];
const PUBLISHER: Field[] = [[64, 8], [72, 8], [80, 4], [84, 4]];
const entries = (at: number, count: number, fields: Field[]): Field[] =>
  Array.from({ length: count }, (_, i) => fields.map(([offset, width]): Field => [at + 64 * i + offset, width])).flat();
const SLOTS = entries(SLOTS_AT, 4, [[0, 8], [8, 8]]);
const ENDPOINTS = entries(ENDPOINTS_AT, 5, [[0, 8], [8, 4]]);
const SUBSCRIBERS = entries(SUBSCRIBERS_AT, 3, [[0, 4], [8, 8], [16, 8], [24, 8]]);

// Boundary values, 64-bit, written 4 or 8 bytes wide: 0, 1, the largest of
// each field (64 slots or endpoints) and one more, negative, huge.
const VALUES = ['0', '1', '2', '63', '64', '65', '2147483647', '2147483648', '4294967295', '4294967296', '9007199254740991', '9007199254740992',
  '9223372036854775808', '18446744073709551615'];

// What an honest process may meet while another process writes into the
// header: codes, never a crash.
const ALLOWED = new Set(['ERR_CHANNEL_CORRUPT', 'ETIMEDOUT', 'ERR_NO_FREE_SLOT', 'ERR_PUBLISHER_GONE', 'ERR_PUBLISHER_EXISTS', 'ERR_CHANNEL_FULL']);
// Stdout, stderr and three more descriptors: nothing may be written to them.
const CANARIES = [1, 2, 4, 5, 6];

interface Honest {
  role: string;
  child: ChildProcess;
  canary: () => string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: Promise<{ frames: number; codes: Record<string, number>; unexpected?: string }>;
}

function message<T>(child: ChildProcess, accept: (m: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: T) => {
      if (!accept(m)) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

/** `promise`, or a rejection once `ms` (scaled by SLOWDOWN) have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  ms *= SLOWDOWN;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function startHonest(role: string): Honest {
  const child = spawn(process.execPath, nodeArgs('frame-honest.js', [role]), { stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', 'pipe', 'pipe'] });
  let written = '';
  for (const fd of CANARIES) child.stdio[fd]!.on('data', (chunk: Buffer) => (written += `fd ${fd}: ${chunk.toString('hex')} ${JSON.stringify(chunk.toString())}\n`));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const done = message<{ done?: boolean; frames: number; codes: Record<string, number>; unexpected?: string }>(child, (m) => m.done === true);
  return { role, child, canary: () => written, ended, done };
}

async function scribble(handle: string, fields: Field[], restore: boolean, random: number): Promise<number> {
  const child = spawn(process.execPath, nodeArgs('frame-scribbler.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const reply = message<{ writes: number }>(child, () => true);
    child.send({ handle, fields, values: VALUES, restore, random, headerBytes: HEADER_BYTES });
    return (await within(reply, 60_000, 'the scribbler')).writes;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * A publisher and two subscribers, each in its own process, run on a fresh
 * channel while a fourth process writes into its header. Returns what each
 * honest process reported after it was told to stop (or stopped itself).
 */
async function attack(policy: FramePolicy, fields: Field[], restore: boolean, random: number) {
  const channel = FrameChannel.create({ width: 64, height: 64, slots: 4, policy, processes: 4 });
  const honest = ['publisher', 'subscriber', 'subscriber'].map(startHonest);
  try {
    const handle = channel.exportHandle();
    for (const h of honest) {
      const ready = message<{ ready?: boolean; done?: boolean; codes?: unknown }>(h.child, (m) => m.ready === true || m.done === true);
      h.child.send({ handle });
      const first = await within(ready, 20_000, `the ${h.role} starting`);
      if (first.ready !== true) assert.fail(`the ${h.role} failed to start: ${JSON.stringify(first)}`);
    }
    const writes = await scribble(handle, fields, restore, random);
    for (const h of honest) if (h.child.connected) h.child.send({ stop: true });
    const outcomes = [];
    for (const h of honest) {
      // Every honest process ends within a bounded time, by itself or when told.
      const report = await within(h.done, 5_000, `the ${h.role} ending`);
      const exit = await within(h.ended, 5_000, `the ${h.role} exiting`);
      assert.deepEqual(exit, { code: 0, signal: null }, `the ${h.role} died: ${JSON.stringify(report)}`);
      assert.equal(report.unexpected, undefined, `the ${h.role} met an error without a code`);
      for (const code of Object.keys(report.codes)) assert.ok(ALLOWED.has(code), `the ${h.role} met ${code}`);
      assert.equal(h.canary(), '', `the ${h.role} wrote to a descriptor it does not own`);
      outcomes.push(report.codes);
    }
    return { writes, outcomes };
  } finally {
    for (const h of honest) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
    await Promise.all(honest.map((h) => h.ended));
    channel.close();
  }
}

describe('a frame channel whose header another process writes into', () => {
  it('Tests that a changed fixed header (slots, endpoints, sizes: boundary values) fails every honest process with ERR_CHANNEL_CORRUPT, kills none', async () => {
    for (const policy of ['latest', 'queue'] as const) {
      const { writes, outcomes } = await attack(policy, FIXED, false, 0);
      assert.ok(writes >= FIXED.length * VALUES.length);
      for (const codes of outcomes) assert.ok((codes.ERR_CHANNEL_CORRUPT ?? 0) >= 1, `${policy}: ${JSON.stringify(outcomes)}`);
    }
  });

  for (const [name, fields] of [
    ['the publisher words', PUBLISHER],
    ['the slots', SLOTS],
    ['the endpoints (owners, wake requests)', ENDPOINTS],
    ['the subscriber entries', SUBSCRIBERS],
  ] as const) {
    it(`Tests that boundary values in ${name}, each put back after a moment, kill no honest process nor make it write elsewhere`, async () => {
      for (const policy of ['latest', 'queue'] as const) {
        const { writes } = await attack(policy, fields, true, 0);
        assert.equal(writes, fields.length * VALUES.length * 2);
      }
    });
  }

  it('Tests that thousands of random writes over the whole header kill no honest process, and every one ends with a code', async () => {
    for (const policy of ['latest', 'queue'] as const) {
      const { writes, outcomes } = await attack(policy, [], false, 3000);
      assert.equal(writes, 3000);
      for (const codes of outcomes) assert.ok((codes.ERR_CHANNEL_CORRUPT ?? 0) >= 1, `${policy}: ${JSON.stringify(outcomes)}`);
    }
  });
});

describe('a frame channel whose wake requests another process clears', () => {
  it('Tests that a wake request cleared by another process delays a waiting next() by at most about 250 ms, never forever', async () => {
    const channel = FrameChannel.create({ width: 16, height: 16, slots: 3, processes: 2 });
    const peer = fs.openSync(`/proc/self/fd/${memfdOf(channel)}`, 'r+');
    try {
      const publisher = channel.publisher();
      const subscriber = channel.subscriber();
      for (let i = 0; i < 5; i++) {
        const waiting = subscriber.next();
        // The peer clears every endpoint's wake request: the send wakes nobody.
        for (let e = 0; e < 2; e++) fs.writeSync(peer, Buffer.alloc(4), 0, 4, ENDPOINTS_AT + 64 * e + 8);
        const started = performance.now();
        publisher.loan().send();
        const frame = await within(waiting, 2_000, 'next() after a withheld wake');
        assert.ok(performance.now() - started < 1_000);
        frame.release();
      }
    } finally {
      fs.closeSync(peer);
      channel.close();
    }
  });
});

/** The descriptor of the channel's memory: the only memfd this process holds then. */
function memfdOf(channel: FrameChannel): number {
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('/memfd:electron-shm')) return Number(fd);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no memfd for the channel of ${channel.width}x${channel.height}`);
}

describe('a frame channel joined by a process out of descriptors', () => {
  for (const [mode, expected] of [['exhausted', 'EMFILE'], ['exhausted-warm', 'ERR_CHANNEL_FULL']] as const) {
    it(`Tests that a process that cannot look at its peers (no descriptor free${mode.endsWith('warm') ? '' : ', not even for itself'}) gets ${expected} from a full channel, and takes nothing from the live processes`, async () => {
      const channel = FrameChannel.create({ width: 16, height: 16, processes: 2 });
      const holder = spawn(process.execPath, nodeArgs('frame-full-joiner.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let joiner: ChildProcess | undefined;
      try {
        const own = channel.subscriber();
        const handle = channel.exportHandle();
        const ready = message<{ ready: boolean }>(holder, () => true);
        holder.send({ handle, mode: 'hold' });
        await within(ready, 20_000, 'the holder joining');
        // The channel is full (2 processes). The joiner runs with few descriptors and uses up the rest.
        joiner = spawn('sh', ['-c', `ulimit -n 64 && exec "$0" "$@"`, process.execPath, ...nodeArgs('frame-full-joiner.js')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        const joined = message<{ result: string }>(joiner, () => true);
        joiner.send({ handle, mode });
        assert.equal((await within(joined, 20_000, 'the joiner')).result, expected);
        assert.equal(own.tryReceive(), null, 'this process still holds its endpoint');
        const checked = message<{ result: string }>(holder, () => true);
        holder.send({ check: true });
        assert.equal((await within(checked, 5_000, 'the holder checking')).result, 'OK');
      } finally {
        for (const child of [holder, joiner]) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        channel.close();
      }
    });
  }
});
