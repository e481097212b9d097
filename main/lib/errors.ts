/**
 * The one error class of electron-shm, and the helpers that build the
 * TypeError / RangeError every API function throws for a bad argument.
 */

/** Every code a ShmError can carry. System errors keep their errno name. */
export type ShmErrorCode =
  | 'ENOENT'
  | 'EEXIST'
  | 'EACCES'
  | 'EPERM'
  | 'EINVAL'
  | 'ENOMEM'
  | 'ENOSPC'
  | 'EMFILE'
  | 'ENFILE'
  | 'ENOTSUP'
  | 'ETIMEDOUT'
  | 'EOVERFLOW'
  | 'ERR_CLOSED'
  | 'ERR_HANDLE_INVALID'
  | 'ERR_HANDLE_REVOKED'
  | 'ERR_SIZE_MISMATCH'
  | 'ERR_RENDERER_PROCESS'
  | 'ERR_NATIVE_MISSING'
  | 'ERR_PUBLISHER_EXISTS'
  | 'ERR_PUBLISHER_GONE'
  | 'ERR_NO_FREE_SLOT'
  | 'ERR_LOAN_PENDING'
  | 'ERR_SAMPLE_RELEASED'
  | 'ERR_FRAME_RELEASED'
  | 'ERR_CHANNEL_FULL'
  | 'ERR_CHANNEL_CORRUPT'
  | 'ENOTCONN'
  | 'ERR_NOT_RESIZABLE'
  | 'ERR_SPAN_EXCEEDED'
  | 'ERR_UNSEALED'
  | 'ERR_MAP_CORRUPT'
  | (string & {});

/**
 * A failure of shared memory itself (not of an argument): `code` is stable
 * and meant for programs; where a system call failed, `syscall` names it and
 * `errno` is its error number.
 */
export class ShmError extends Error {
  readonly code: ShmErrorCode;
  syscall?: string;
  errno?: number;
  /**
   * When a system limit refused the operation: which one ('shmmax',
   * 'shmall', 'shmmni', 'RLIMIT_MEMLOCK', '/dev/shm', 'vm.max_map_count').
   * See limits().
   */
  limit?: string;

  constructor(code: ShmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShmError';
    this.code = code;
  }
}

/** An argument error with Node's conventional code, as Node's own APIs throw. */
type ArgumentError = (TypeError | RangeError) & { code: string };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return String(value);
}

function withCode<E extends TypeError | RangeError>(error: E, code: string): E & { code: string } {
  return Object.assign(error, { code });
}

/** "Expected <expected> for <name> but received <actual>": a wrong type. */
export function invalidType(name: string, expected: string, actual: unknown): ArgumentError {
  return withCode(new TypeError(`Expected ${expected} for ${name} but received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** A number of the right type out of its range. */
export function outOfRange(name: string, expected: string, actual: unknown): ArgumentError {
  return withCode(new RangeError(`Expected ${expected} for ${name} but received ${describe(actual)}`), 'ERR_OUT_OF_RANGE');
}

/** A value of the right type that is not one of the allowed ones. */
export function invalidValue(name: string, expected: string, actual: unknown): ArgumentError {
  return withCode(new TypeError(`Expected ${expected} for ${name} but received ${describe(actual)}`), 'ERR_INVALID_ARG_VALUE');
}
