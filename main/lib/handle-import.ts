/**
 * The one way in for a handle string, whatever it carries: parse it,
 * refuse another kind's handle before anything is fetched, fetch what the
 * exporter sends, check it against the handle and the kind, and close it
 * if any check fails. Each kind's import builds its object from what this
 * returns. Reasoning: docs/handle-format.md.
 */
import { closeOnFailure } from './close-on-failure.js';
import { ShmError } from './errors.js';
import { parseHandleOf, type HandleFields, type HandleKind } from './handle.js';
import { native, type FileDescription, type NativeFile } from './native.js';
import { boolean, integerIn, options } from './validate.js';

const DEFAULT_IMPORT_TIMEOUT_MS = 5000;

export interface ImportOptions {
  /**
   * The longest the whole import may take, connecting included. Default
   * 5000. A live exporter answers at once, whatever other processes do to
   * its broker; only a stopped or hung one makes an import wait this long.
   */
  timeoutMs?: number;
  /**
   * Accept memory whose size other processes can change: the exporter's
   * file fallback (no memfd, see `backing`), which takes no seals. Any
   * process holding such memory can shrink it, and every process mapping
   * it then dies of SIGBUS at its next touch of a lost page. Only between
   * cooperating processes. Default false: such memory is refused with
   * ERR_UNSEALED.
   */
  allowUnsealed?: boolean;
}

type MemoryKind = Exclude<HandleKind, 'semaphore'>;

/** What an import received: the handle's fields and the open descriptor, with its description for memory. */
export interface Received {
  fields: HandleFields;
  file: NativeFile;
  description: FileDescription;
}

/**
 * Imports a handle of `kind`. Memory is checked to be what the handle says
 * (size, access, and for a frame channel its wake descriptors) and, unless
 * `allowUnsealed`, sealed so that no process can make it smaller under
 * this one's mappings; a semaphore, to be an eventfd in semaphore mode.
 */
export function receiveHandle(handle: unknown, kind: 'semaphore', importOptions: { timeoutMs?: number } | undefined): Omit<Received, 'description'>;
export function receiveHandle(handle: unknown, kind: MemoryKind, importOptions: ImportOptions | undefined): Received;
export function receiveHandle(handle: unknown, kind: HandleKind, importOptions: ImportOptions | undefined): Omit<Received, 'description'> & Partial<Received> {
  const fields = parseHandleOf(handle, kind);
  const memory = kind !== 'semaphore';
  const given = options('options', importOptions, memory ? ['timeoutMs', 'allowUnsealed'] : ['timeoutMs']);
  const timeoutMs = integerIn('options.timeoutMs', given.timeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS, 1, 600_000);
  const allowUnsealed = boolean('options.allowUnsealed', given.allowUnsealed, false);
  const file = native().fetchExport(fields.pid, fields.broker, fields.id, fields.secret, timeoutMs);
  return closeOnFailure(file, (file) => {
    if (!memory) {
      native().checkSemaphore(file);
      return { fields, file };
    }
    const description = file.describe();
    if (!allowUnsealed) requireSealedSize(description, kind === 'resizable');
    checkAgainstHandle(fields, description);
    return { fields, file, description };
  });
}

/**
 * The exporter's word against the handle's. A resizable map may have grown
 * since its handle was made, never shrunk; only a frame channel comes with
 * other descriptors (its wake sockets).
 */
function checkAgainstHandle(fields: HandleFields, got: FileDescription): void {
  const frames = fields.kind === 'frames';
  if ((got.companions > 0) !== frames) {
    throw new ShmError(
      'ERR_HANDLE_INVALID',
      frames ? 'The memory came without wake descriptors: it is not a frame channel' : 'The memory came with other descriptors, as a frame channel does: it is not what the handle says',
    );
  }
  const sizeFits = fields.kind === 'resizable' ? got.size >= fields.size : got.size === fields.size;
  if (!sizeFits) throw new ShmError('ERR_HANDLE_INVALID', `The handle says ${fields.size} bytes but the memory has ${got.size}`);
  if (got.readOnly !== fields.readOnly || (fields.readOnly && !got.writeSealed)) {
    throw new ShmError('ERR_HANDLE_INVALID', "The handle's access mode does not match the memory received");
  }
}

/**
 * The exporter's word is not enough: a process that shrinks memory another
 * maps kills it with SIGBUS at its next touch of a lost page, and a peer
 * that holds the memory read-write can do so unless the kernel forbids it.
 * An exporter of this module seals every memfd against shrinking at
 * creation and, but for a resizable map's, against growing, and seals the
 * seals before the memory first leaves it; seals are never removed, so
 * what is seen here holds for good. Anything else (the file fallback, or
 * memory some other program sent) is refused.
 */
function requireSealedSize(got: FileDescription, growable: boolean): void {
  if (!got.shrinkSealed) {
    throw new ShmError(
      'ERR_UNSEALED',
      got.memfd
        ? 'The memory received is not sealed against shrinking (F_SEAL_SHRINK): any process holding it could make this one die of SIGBUS. It was not exported by electron-shm'
        : "The memory received is a file (the exporter's fallback without memfd), which takes no seals: any process holding it could shrink it and make this one die of SIGBUS. Import it with { allowUnsealed: true } only from a process you trust",
    );
  }
  if (!growable && !got.growSealed) {
    throw new ShmError('ERR_UNSEALED', 'The memory received can grow (no F_SEAL_GROW): the handle of a resizable map is imported with ResizableMap.import()');
  }
  if (!got.sealsFinal) {
    throw new ShmError('ERR_UNSEALED', 'The memory received can still take seals (no F_SEAL_SEAL): it was not exported by electron-shm');
  }
}
