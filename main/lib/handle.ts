/**
 * The handle string: what one process gives another so that it can import
 * shared memory or a semaphore. Format and reasoning: docs/handle-format.md.
 *
 *   electron-shm:2:<kind>:<pid>:<broker>:<id>:<size>:<rw|ro>:<secret>
 */
import { ShmError, invalidType } from './errors.js';

export const HANDLE_VERSION = 2;

/** What a handle carries; each kind has its own import. */
export type HandleKind = 'map' | 'resizable' | 'frames' | 'semaphore';

/** Per kind: what it is, and the import that takes it (for messages). */
const KINDS: Record<HandleKind, { what: string; importer: string }> = {
  map: { what: 'an anonymous map', importer: 'importHandle()' },
  resizable: { what: 'a resizable map', importer: 'ResizableMap.import()' },
  frames: { what: 'a frame channel', importer: 'FrameChannel.import()' },
  semaphore: { what: 'a semaphore', importer: 'Semaphore.import()' },
};

export interface HandleFields {
  kind: HandleKind;
  /** The exporting process; its broker answers only as that pid. */
  pid: number;
  /** 16 hex digits naming the broker's socket. */
  broker: string;
  /** The export's number in that broker. */
  id: bigint;
  /** Bytes of memory; 0 for a semaphore. */
  size: number;
  readOnly: boolean;
  /** 32 hex digits: 128 random bits the broker checks. */
  secret: string;
}

const PREFIX = 'electron-shm:';
const VERSION_2 =
  /^electron-shm:2:(map|resizable|frames|semaphore):([1-9][0-9]{0,9}):([0-9a-f]{16}):([1-9][0-9]{0,19}):(0|[1-9][0-9]{0,15}):(rw|ro):([0-9a-f]{32})$/;

export function formatHandle(fields: HandleFields): string {
  const access = fields.readOnly ? 'ro' : 'rw';
  return `${PREFIX}${HANDLE_VERSION}:${fields.kind}:${fields.pid}:${fields.broker}:${fields.id}:${fields.size}:${access}:${fields.secret}`;
}

function invalid(why: string): ShmError {
  return new ShmError('ERR_HANDLE_INVALID', `Not an electron-shm handle: ${why}`);
}

/** Reads a handle string; ERR_HANDLE_INVALID for anything that is not one. */
export function parseHandle(handle: unknown, name = 'handle'): HandleFields {
  if (typeof handle !== 'string') throw invalidType(name, 'a handle string from exportHandle()', handle);
  if (!handle.startsWith(PREFIX)) throw invalid(`it does not start with "${PREFIX}"`);
  const version = /^electron-shm:([0-9]+):/.exec(handle)?.[1];
  if (version !== undefined && version !== String(HANDLE_VERSION)) {
    throw invalid(`it is of format version ${version}; this electron-shm reads version ${HANDLE_VERSION}`);
  }
  const match = VERSION_2.exec(handle);
  if (match === null) throw invalid('it is malformed or truncated');
  const [, kind, pid, broker, id, size, access, secret] = match;
  const fields: HandleFields = {
    kind: kind as HandleKind,
    pid: Number(pid),
    broker: broker!,
    id: BigInt(id!),
    size: Number(size),
    readOnly: access === 'ro',
    secret: secret!,
  };
  if (fields.pid > 0x7fffffff || fields.id > 0xffffffffffffffffn || !Number.isSafeInteger(fields.size)) {
    throw invalid('a number in it is out of range');
  }
  // Memory has a size; a semaphore has none. Only an anonymous map is ever
  // shared read-only: a semaphore, a frame channel and a resizable map are
  // shared read-write.
  if ((fields.kind === 'semaphore') !== (fields.size === 0) || (fields.kind !== 'map' && fields.readOnly)) {
    throw invalid(`its size or access does not fit ${KINDS[fields.kind].what}`);
  }
  return fields;
}

/**
 * parseHandle, for the import of one kind: a handle of another kind is
 * refused with ERR_HANDLE_INVALID, naming the import that takes it, before
 * anything is fetched or mapped.
 */
export function parseHandleOf(handle: unknown, kind: HandleKind): HandleFields {
  const fields = parseHandle(handle);
  if (fields.kind !== kind) {
    const { what, importer } = KINDS[fields.kind];
    throw new ShmError('ERR_HANDLE_INVALID', `The handle is of ${what}, not ${KINDS[kind].what}: import it with ${importer}`);
  }
  return fields;
}
