/**
 * The memory a zero-copy view lives in. The shared pages are mapped over
 * the page-aligned interior of a buffer that V8 allocated (Electron's
 * memory cage refuses buffers over foreign memory), so that buffer must be
 * one that no JavaScript can free, move to another owner or shrink while
 * the pages are shared: docs/zero-copy-views.md, "The lifetime rule".
 *
 * In order of preference:
 * 1. A SharedArrayBuffer. It cannot be detached or transferred, a growable
 *    one only grows, and posting it to a worker of this process shares it.
 *    Where the global constructor is left out (V8's
 *    --enable-sharedarraybuffer-per-context, Chromium's setting), shared
 *    WebAssembly memory still is one, and its constructor is the same.
 * 2. An ArrayBuffer marked untransferable, where that makes it
 *    non-detachable (Node 24 and later: transfer() throws). Fixed length.
 * 3. Nothing: on Node 20 and 22 an ArrayBuffer can be moved away, so views
 *    are refused (ENOTSUP) rather than made unsafe.
 */
import { markAsUntransferable } from 'node:worker_threads';
import { ShmError } from './errors.js';

type SharedArrayBufferClass = new (length: number, options?: { maxByteLength: number }) => SharedArrayBuffer;

/** What this runtime gives views to live in: see the file comment. */
export type ViewBufferKind = 'shared' | 'untransferable' | 'none';

let sharedClass: SharedArrayBufferClass | undefined;
let kind: ViewBufferKind | undefined;

function findSharedArrayBuffer(): SharedArrayBufferClass | undefined {
  if (typeof SharedArrayBuffer === 'function') return SharedArrayBuffer as SharedArrayBufferClass;
  try {
    const memory = new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true });
    return Object.getPrototypeOf(memory.buffer).constructor as SharedArrayBufferClass;
  } catch {
    return undefined; // no WebAssembly (--jitless), or no shared memory in it
  }
}

/** Whether an untransferable ArrayBuffer can no longer be detached: tried, not assumed from a version. */
function untransferableIsPinned(): boolean {
  const transfer = (ArrayBuffer.prototype as { transfer?: (this: ArrayBuffer) => ArrayBuffer }).transfer;
  if (typeof transfer !== 'function') return false;
  const probe = new ArrayBuffer(8);
  markAsUntransferable(probe);
  try {
    transfer.call(probe);
    return false;
  } catch {
    return probe.byteLength === 8;
  }
}

export function viewBufferKind(): ViewBufferKind {
  if (kind === undefined) {
    sharedClass = findSharedArrayBuffer();
    kind = sharedClass !== undefined ? 'shared' : untransferableIsPinned() ? 'untransferable' : 'none';
  }
  return kind;
}

function allocationFailed(bytes: number, error: unknown): ShmError {
  return new ShmError('ENOMEM', `V8 could not allocate a buffer of ${bytes} bytes for the view`, { cause: error });
}

/**
 * A Uint8Array over a new buffer of `bytes` bytes that shared pages may be
 * placed in. ENOTSUP where the runtime has no such buffer; ENOMEM when V8
 * cannot allocate it.
 */
export function viewBuffer(bytes: number): Uint8Array {
  const got = viewBufferKind();
  if (got === 'none') {
    throw new ShmError(
      'ENOTSUP',
      'This runtime has no memory a zero-copy view can safely live in: it has no SharedArrayBuffer (not even through ' +
        'WebAssembly.Memory), and its ArrayBuffers can be transferred away. Run it without ' +
        '--enable-sharedarraybuffer-per-context, with WebAssembly, or on Node 24 or later',
    );
  }
  try {
    if (got === 'shared') return new Uint8Array(new sharedClass!(bytes));
    const buffer = new ArrayBuffer(bytes);
    markAsUntransferable(buffer);
    return new Uint8Array(buffer);
  } catch (error) {
    throw allocationFailed(bytes, error);
  }
}

/**
 * A length-tracking Uint8Array over a new growable SharedArrayBuffer of
 * `bytes` bytes that may grow to `maxBytes`: the one kind of growing
 * buffer that never shrinks. ENOTSUP without SharedArrayBuffer.
 */
export function growableViewBuffer(bytes: number, maxBytes: number): Uint8Array {
  if (viewBufferKind() !== 'shared') {
    throw new ShmError(
      'ENOTSUP',
      'A resizable map needs SharedArrayBuffer, which this runtime does not have (not even through WebAssembly.Memory): ' +
        'a growable ArrayBuffer could be shrunk, and its tail zeroed, by any code that holds it',
    );
  }
  let buffer: SharedArrayBuffer;
  try {
    buffer = new sharedClass!(bytes, { maxByteLength: maxBytes });
  } catch (error) {
    throw allocationFailed(maxBytes, error);
  }
  // A V8 without growable SharedArrayBuffers ignores maxByteLength.
  if ((buffer as { growable?: boolean }).growable !== true) {
    throw new ShmError('ENOTSUP', 'A resizable map needs a growable SharedArrayBuffer, which this runtime does not have');
  }
  return new Uint8Array(buffer);
}
