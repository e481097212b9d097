/**
 * forkUtility: start a helper process the same way in Electron and in Node.
 * In Electron's main process it is a utility process (utilityProcess.fork);
 * anywhere else a Node child process (child_process.fork) that, like a
 * utility process, inherits no descriptor but stdio and its message
 * channel. Handles from exportHandle() travel over postMessage either way.
 */
import { fork as forkNode, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type * as Electron from 'electron';
import { ShmError, invalidType, invalidValue } from './errors.js';
import { options, string } from './validate.js';

type StdioKind = 'pipe' | 'ignore' | 'inherit';
const STDIO_KINDS: readonly StdioKind[] = ['pipe', 'ignore', 'inherit'];

export interface ForkUtilityOptions {
  /** Environment of the child. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Node options of the child (Node: default process.execArgv). */
  execArgv?: string[];
  cwd?: string;
  /**
   * stdout and stderr: one kind for both, or [stdin, stdout, stderr] with
   * stdin 'ignore'. Default 'inherit'. A utility process has no stdin
   * (Electron refuses any other), so a Node child gets none either.
   */
  stdio?: StdioKind | ['ignore', StdioKind, StdioKind];
  /** Electron only: the name shown in Chromium's task manager. */
  serviceName?: string;
}

/**
 * A child started by forkUtility(). Events: 'spawn', 'message' (value),
 * 'exit' (code, signal), 'error' (error).
 */
export interface UtilityChild extends EventEmitter {
  /** 'utility' under Electron's main process, 'node' elsewhere. */
  readonly kind: 'utility' | 'node';
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  /** Sends a value (structured clone) to the child's utilityParent(). */
  postMessage(message: unknown): void;
  kill(): boolean;
}

function inElectronMain(): boolean {
  return (process as { type?: string }).type === 'browser' && process.versions.electron !== undefined;
}

function checkStdio(value: unknown): ['ignore', StdioKind, StdioKind] {
  if (value === undefined) return ['ignore', 'inherit', 'inherit'];
  if (typeof value === 'string' && STDIO_KINDS.includes(value as StdioKind)) return ['ignore', value as StdioKind, value as StdioKind];
  if (Array.isArray(value) && value.length === 3 && value[0] === 'ignore' && value.every((v) => STDIO_KINDS.includes(v))) {
    return value as ['ignore', StdioKind, StdioKind];
  }
  throw invalidValue('options.stdio', `one of ${STDIO_KINDS.join(', ')}, or an array of three of them that starts with 'ignore'`, value);
}

/** What both kinds of child have alike. */
interface ChildSource {
  readonly pid?: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(): boolean;
}

abstract class ChildBase extends EventEmitter {
  readonly #source: ChildSource;

  constructor(source: ChildSource) {
    super();
    this.#source = source;
  }

  get pid(): number | undefined {
    return this.#source.pid;
  }

  get stdout(): NodeJS.ReadableStream | null {
    return this.#source.stdout;
  }

  get stderr(): NodeJS.ReadableStream | null {
    return this.#source.stderr;
  }

  kill(): boolean {
    return this.#source.kill();
  }
}

class NodeUtilityChild extends ChildBase implements UtilityChild {
  readonly kind = 'node';
  readonly #child: ChildProcess;

  constructor(child: ChildProcess) {
    super(child);
    this.#child = child;
    child.on('spawn', () => this.emit('spawn'));
    child.on('message', (message) => this.emit('message', message));
    child.on('exit', (code, signal) => this.emit('exit', code, signal));
    child.on('error', (error) => this.emit('error', error));
  }

  postMessage(message: unknown): void {
    this.#child.send(message as object);
  }
}

class ElectronUtilityChild extends ChildBase implements UtilityChild {
  readonly kind = 'utility';
  readonly #child: Electron.UtilityProcess;

  constructor(child: Electron.UtilityProcess) {
    super(child);
    this.#child = child;
    child.on('spawn', () => this.emit('spawn'));
    child.on('message', (message) => this.emit('message', message));
    child.on('exit', (code) => this.emit('exit', code, null));
    child.on('error', (type, location, report) => this.emit('error', Object.assign(new Error(`${type} at ${location}`), { report })));
  }

  postMessage(message: unknown): void {
    this.#child.postMessage(message);
  }
}

/** Starts `modulePath` in a utility process (Electron main) or a Node child process (elsewhere). */
export function forkUtility(modulePath: string, args: readonly string[] = [], forkOptions?: ForkUtilityOptions): UtilityChild {
  string('modulePath', modulePath);
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw invalidType('args', 'an array of strings', args);
  const given = options('options', forkOptions, ['env', 'execArgv', 'cwd', 'stdio', 'serviceName']);
  const stdio = checkStdio(given.stdio);
  const env = (given.env ?? process.env) as NodeJS.ProcessEnv;
  const cwd = given.cwd === undefined ? undefined : string('options.cwd', given.cwd);
  const execArgv = given.execArgv as string[] | undefined;
  if (execArgv !== undefined && (!Array.isArray(execArgv) || !execArgv.every((a) => typeof a === 'string'))) {
    throw invalidType('options.execArgv', 'an array of strings', execArgv);
  }
  if (inElectronMain()) {
    const { utilityProcess } = require('electron') as typeof Electron;
    const electronOptions: Electron.ForkOptions = { env, stdio };
    if (cwd !== undefined) electronOptions.cwd = cwd;
    if (execArgv !== undefined) electronOptions.execArgv = execArgv;
    if (given.serviceName !== undefined) electronOptions.serviceName = string('options.serviceName', given.serviceName);
    return new ElectronUtilityChild(utilityProcess.fork(modulePath, [...args], electronOptions));
  }
  const child = forkNode(modulePath, [...args], {
    env,
    ...(cwd === undefined ? {} : { cwd }),
    ...(execArgv === undefined ? {} : { execArgv }),
    // Only stdio and the message channel, as a utility process gets.
    stdio: [...stdio, 'ipc'],
    // Structured clone, as Electron's postMessage.
    serialization: 'advanced',
  });
  return new NodeUtilityChild(child);
}

/** The parent side of utilityParent(): 'message' events and postMessage(). */
export interface UtilityParent extends EventEmitter {
  postMessage(message: unknown): void;
}

let parent: UtilityParent | undefined;

/**
 * Starts forwarding the parent's messages when the first 'message'
 * listener comes, once for good: a listener added after a once() listener
 * went must not forward each message a second time.
 */
function forwardOnFirstListener(emitter: EventEmitter, forward: () => void): void {
  let forwarding = false;
  emitter.on('newListener', (event) => {
    if (event !== 'message' || forwarding) return;
    forwarding = true;
    forward();
  });
}

/**
 * In a process started by forkUtility(): the channel to its parent, over
 * Electron's process.parentPort or Node's IPC channel. ENOTCONN if this
 * process has neither.
 */
export function utilityParent(): UtilityParent {
  if (parent !== undefined) return parent;
  const emitter = new EventEmitter() as UtilityParent;
  const electronPort = (process as { parentPort?: Electron.ParentPort }).parentPort;
  if (electronPort) {
    emitter.postMessage = (message) => electronPort.postMessage(message);
    // Listening keeps the port open, as a listener on Node's channel does.
    forwardOnFirstListener(emitter, () => electronPort.on('message', (event) => emitter.emit('message', event.data)));
  } else if (typeof process.send === 'function') {
    emitter.postMessage = (message) => process.send!(message as object);
    forwardOnFirstListener(emitter, () => process.on('message', (message) => emitter.emit('message', message)));
  } else {
    throw new ShmError('ENOTCONN', 'This process has no parent channel: it was not started by forkUtility()');
  }
  parent = emitter;
  return parent;
}
