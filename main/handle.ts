/**
 * The handle string: what one process gives another so that it can import
 * an anonymous map. Format and reasoning: docs/handle-format.md.
 *
 *   electron-shm:1:<pid>:<broker>:<id>:<size>:<rw|ro>:<secret>
 */
import { ShmError, invalidType } from './errors.js';

export const HANDLE_VERSION = 1;

export interface HandleFields {
  /** The exporting process; its broker answers only as that pid. */
  pid: number;
  /** 16 hex digits naming the broker's socket. */
  broker: string;
  /** The export's number in that broker. */
  id: bigint;
  size: number;
  readOnly: boolean;
  /** 32 hex digits: 128 random bits the broker checks. */
  secret: string;
}

const PREFIX = 'electron-shm:';
const VERSION_1 =
  /^electron-shm:1:([1-9][0-9]{0,9}):([0-9a-f]{16}):([1-9][0-9]{0,19}):([1-9][0-9]{0,15}):(rw|ro):([0-9a-f]{32})$/;

export function formatHandle(fields: HandleFields): string {
  const access = fields.readOnly ? 'ro' : 'rw';
  return `${PREFIX}${HANDLE_VERSION}:${fields.pid}:${fields.broker}:${fields.id}:${fields.size}:${access}:${fields.secret}`;
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
  const match = VERSION_1.exec(handle);
  if (match === null) throw invalid('it is malformed or truncated');
  const [, pid, broker, id, size, access, secret] = match;
  const fields: HandleFields = {
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
  return fields;
}
