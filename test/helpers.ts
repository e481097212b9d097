/**
 * Shared by the Node tests: running real child processes, naming test
 * segments so leftovers are recognizable, and checking error codes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { forkUtility, type UtilityChild } from 'electron-shm';
import { EMULATED, SLOWDOWN } from './fixtures/slowdown';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** Every named segment a test makes starts with this; scripts/test-all.sh checks none is left. */
export const TEST_PREFIX = 'eshm-test-';

let counter = 0;
export function uniqueName(tag: string): string {
  counter += 1;
  return `${TEST_PREFIX}${process.pid}-${counter}-${tag}`;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * V8 flags of this test process that its fixtures must share: the suite
 * runs once more under Chromium's SharedArrayBuffer setting
 * (scripts/test-all.sh), and every process of a test should see it.
 */
export const RUNTIME_FLAGS = process.execArgv.filter((flag) => flag === '--enable-sharedarraybuffer-per-context');

/**
 * How this process loads TypeScript, for the processes it starts: tsx, or
 * under emulation the precompiled JavaScript (scripts/ts-precompiled.js).
 */
export const TS_LOADER = loaderOf(process.execArgv);

function loaderOf(execArgv: readonly string[]): string[] {
  const at = execArgv.findIndex((flag) => flag === '--require' || flag === '--import');
  return at >= 0 && at + 1 < execArgv.length ? execArgv.slice(at, at + 2) : ['--import', 'tsx'];
}

/** What node needs before a fixture: the runtime flags, and the TypeScript loader unless it is plain JavaScript (which starts faster without). */
function fixtureExecArgv(fixture: string): string[] {
  return [...RUNTIME_FLAGS, ...(fixture.endsWith('.js') ? [] : TS_LOADER)];
}

/** The arguments that start a fixture with node. */
export function nodeArgs(fixture: string, args: readonly string[] = []): string[] {
  return [...fixtureExecArgv(fixture), path.join(FIXTURES, fixture), ...args];
}

/**
 * Starts a fixture the way Electron starts a utility process: no inherited
 * descriptor but stdin/stdout/stderr and the IPC channel.
 */
export function startFixture(fixture: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, nodeArgs(fixture, args), { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], ...options });
}

/** Every wait for another process scales by SLOWDOWN (test/fixtures/slowdown.js). */
export { EMULATED, SLOWDOWN };

/**
 * How many times to repeat a stress loop: `times`, or a tenth of it (at
 * least `least`) under emulation, where each round costs ten times as long
 * and the whole suite must still fit its time. The test itself is the same.
 */
export function repeats(times: number, least = 2): number {
  return SLOWDOWN === 1 ? times : Math.max(least, Math.round(times / SLOWDOWN));
}

/**
 * A test's `skip` under emulation: false, or why it cannot run under
 * qemu-user (scripts/test-emulated.sh; the README lists these).
 */
export function notUnderEmulation(reason: string): string | false {
  return EMULATED ? `not under emulation: ${reason}` : false;
}

/** Waits for a child to end and collects what it printed. */
export function finished(child: ChildProcess, timeoutMs = 20_000): Promise<ChildResult> {
  timeoutMs *= SLOWDOWN;
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${child.pid} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export async function runFixture(fixture: string, args: readonly string[] = [], options: SpawnOptions = {}): Promise<ChildResult> {
  return finished(startFixture(fixture, args, options));
}

/** The last line of a child's stdout, parsed as JSON: fixtures report that way. */
export function report<T = Record<string, unknown>>(result: ChildResult): T {
  const lines = result.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1] ?? '') as T;
  } catch {
    throw new Error(`child printed no JSON report (code ${result.code}, signal ${result.signal})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** Asserts that fn throws an error whose `code` is `code` (and, if given, of class `type`). */
export function throwsCode(fn: () => unknown, code: string, type?: new (...args: never[]) => Error): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    assert.equal((error as { code?: string }).code, code, `wrong code; message: ${error.message}`);
    if (type !== undefined) assert.ok(error instanceof type, `expected a ${type.name}, got ${error.constructor.name}`);
    return true;
  });
}

let gc: (() => void) | undefined;

/** A full collection, so that what V8 and malloc keep for themselves has settled before a count. */
export function collectGarbage(): void {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}

export function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length;
}

export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/**
 * How many descriptors of each kind this process has open: eventfds,
 * epoll sets, memfds, sockets, pipes (by the target of /proc/self/fd/N,
 * numbers dropped). Files that tools open and close on their own (a
 * loader's cache) are left out, so that a count before and after compares
 * what our code opens.
 */
export function descriptorKinds(): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own descriptor, closed by now
    }
    if (!/^(anon_inode:|socket:|pipe:)|memfd:/.test(target)) continue;
    const kind = target.replace(/\[\d+\]/, '').replace(/ \(deleted\)$/, '');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/**
 * Fails if any kind of descriptor is more numerous than in `before`. Fewer
 * is fine: the runtime's own (the test runner's sockets) come and go.
 */
export function assertNoMoreDescriptors(before: Record<string, number>): void {
  for (const [kind, count] of Object.entries(descriptorKinds())) {
    assert.ok(count <= (before[kind] ?? 0), `${count} ${kind} descriptors, ${before[kind] ?? 0} before`);
  }
}

export function mappingLines(): string[] {
  return fs.readFileSync('/proc/self/maps', 'utf8').trim().split('\n');
}

/** Lines of /proc/self/maps that map memfd or file memory of ours. */
export function sharedMappings(): string[] {
  return mappingLines().filter((line) => line.includes('memfd:electron-shm') || line.includes('electron-shm-anon-') || line.includes(`/dev/shm/${TEST_PREFIX}`));
}

/**
 * Waits until every thread of `pid` is stopped (state T in
 * /proc/PID/task/TID/stat). kill(SIGSTOP) returns before that: the kernel
 * wakes one thread to start the group stop, and until it has, the others
 * (a broker thread woken by a connection) may run on.
 */
export async function stopped(pid: number, timeoutMs = 5000): Promise<void> {
  const state = (tid: string) => fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
  const allStopped = () => fs.readdirSync(`/proc/${pid}/task`).every((tid) => state(tid) === 'T');
  if (!(await pollUntil(allStopped, timeoutMs, 1))) throw new Error(`process ${pid} did not stop in ${timeoutMs * SLOWDOWN} ms`);
}

/**
 * Polls `done` every `everyMs` until it holds or `timeoutMs` (scaled by
 * SLOWDOWN) have passed; says whether it held. The caller asserts.
 */
export async function pollUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs * SLOWDOWN;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The `code` of what fn throws, or "OK" when it returns: how fixtures report outcomes. */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/**
 * Starts a fixture with forkUtility(), as an app starts its utility
 * processes (in Node: child_process.fork, with stdio and IPC only).
 */
export type FixtureChild = UtilityChild & { stderrText: () => string; exited: Promise<void> };

export function forkFixture(fixture: string, args: readonly string[] = []): FixtureChild {
  const child = forkUtility(path.join(FIXTURES, fixture), args, { execArgv: fixtureExecArgv(fixture), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout?.resume();
  (child.stderr as NodeJS.ReadableStream | null)?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // Ended when the process has exited and its pipes are closed in this process.
  const closed = (stream: NodeJS.ReadableStream | null) =>
    new Promise<void>((resolve) => (stream === null ? resolve() : (stream as NodeJS.ReadableStream & { once(e: 'close', f: () => void): void }).once('close', resolve)));
  const exited = Promise.all([new Promise<void>((resolve) => child.once('exit', () => resolve())), closed(child.stdout), closed(child.stderr)]).then(() => {});
  return Object.assign(child, { stderrText: () => stderr, exited });
}

/** Kills a fixture (if still running) and waits for it to be gone. */
export async function stopFixture(child: FixtureChild): Promise<void> {
  if (child.pid !== undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await child.exited;
}

/** The next message from a forkUtility() child that satisfies `accept`. */
export function messageFrom<T = Record<string, unknown>>(
  child: (UtilityChild | ChildProcess) & { stderrText?: () => string },
  accept: (message: T) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<T> {
  timeoutMs *= SLOWDOWN;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no message from ${child.pid} in ${timeoutMs} ms; stderr: ${child.stderrText?.()}`)), timeoutMs);
    const onMessage = (message: T) => {
      if (accept(message)) done(undefined, message);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`${child.pid} exited (${code ?? signal}) before the message; stderr: ${child.stderrText?.()}`));
    const done = (error?: Error, message?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as T);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
