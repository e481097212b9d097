/**
 * SharedMemory: named shared memory, in two flavours: POSIX shared memory
 * (shm_open, the default), or NSPR's (`compat: 'nspr'`: what NSPR 4.x's
 * PR_OpenSharedMemory family does on Linux, nspr-segment.ts). Its calls
 * are NSPR's: open, attach, detach, close, and delete (unlink).
 */
import { MAX_MAP_SIZE, MAX_VIEW_LENGTH } from './anon-map.js';
import { ShmError, invalidValue } from './errors.js';
import { explainSpaceError } from './limits.js';
import { MappedFile, type FileStatus } from './mapped-file.js';
import { native, type NativeFile } from './native.js';
import { checkNsprName, openNsprSegment, unlinkNsprSegment } from './nspr-segment.js';
import { SysVSegment } from './sysv-segment.js';
import { boolean, integerIn, options, string } from './validate.js';
import { Attachment } from './views.js';

/** `posix`: POSIX shared memory (shm_open), the default; `nspr`: NSPR's named memory on Linux, a System V segment keyed by a file. */
export type Compat = 'posix' | 'nspr';

function compatOf(value: unknown): Compat {
  if (value === undefined) return 'posix';
  if (value !== 'posix' && value !== 'nspr') throw invalidValue('options.compat', '"posix" or "nspr"', value);
  return value;
}

export interface OpenOptions {
  /** Create the segment when it does not exist. Default false. */
  create?: boolean;
  /** With create: fail with EEXIST when it exists. Default false. */
  exclusive?: boolean;
  /** Permissions of a segment this call creates (the umask is not applied). Default 0o600. */
  mode?: number;
  /** Open for reading only; every attachment is then read-only. Default false. */
  readOnly?: boolean;
  /** Whose named memory: 'posix' (shm_open, the default) or 'nspr' (NSPR 4.x on Linux: a System V segment keyed by the file `name`). */
  compat?: Compat;
}

export interface AttachOptions {
  /** Attach read-only. Default: the segment's own access. */
  readOnly?: boolean;
}

// Every name Linux's shm_open takes: one file name in /dev/shm, so no "/"
// past one optional leading one, no NUL, 1 to NAME_MAX (255) bytes of
// UTF-8, and neither "." nor ".." (/dev/shm itself and its parent). Other
// programs' names are of this form too ("my shm:1" is Python's).
const NAME_MAX = 255;
const NAME_WORDS = 'a name of 1 to 255 bytes (UTF-8) with no "/" or NUL, not "." or "..", optionally after one leading "/"';

function normalizeName(name: unknown): string {
  const bare = string('name', name).replace(/^\//, '');
  const refused =
    bare === '' || bare === '.' || bare === '..' || /[/\0]/.test(bare) || /\p{Cs}/u.test(bare) || Buffer.byteLength(bare, 'utf8') > NAME_MAX;
  if (refused) throw invalidValue('name', NAME_WORDS, name);
  return `/${bare}`;
}

/** The POSIX flavour: the shm_open descriptor and the views of it. */
class PosixObject extends MappedFile {
  constructor(file: NativeFile, size: number, readOnly: boolean) {
    super(file, size, readOnly);
  }

  protected get kind(): string {
    return 'shared memory';
  }

  whole(readOnly: boolean): Attachment {
    return this.mapRange(0, this.size, readOnly, false, Attachment);
  }
}

export class SharedMemory {
  /** POSIX: the segment's name, with its leading "/"; NSPR: the file's path, as given. */
  readonly name: string;
  readonly size: number;
  /** Opened for reading only: every attachment is read-only. */
  readonly readOnly: boolean;
  /** True when this open() created the segment. */
  readonly created: boolean;
  /** Whose flavour of named memory it is: POSIX shared memory, or NSPR's System V segments. */
  readonly compat: Compat;
  readonly #posix: PosixObject | undefined;
  readonly #segment: SysVSegment | undefined;
  #segmentClosed = false;

  private constructor(name: string, size: number, readOnly: boolean, created: boolean, backing: PosixObject | SysVSegment) {
    this.name = name;
    this.size = size;
    this.readOnly = readOnly;
    this.created = created;
    this.compat = backing instanceof SysVSegment ? 'nspr' : 'posix';
    if (backing instanceof SysVSegment) this.#segment = backing;
    else this.#posix = backing;
  }

  /**
   * Opens the segment `name` of `size` bytes. ENOENT when it is missing and
   * `create` is off; EEXIST when `create` and `exclusive` find it;
   * ERR_SIZE_MISMATCH when it exists with another size. POSIX: every page
   * of it is reserved now, whoever created it: ENOSPC (`limit: '/dev/shm'`)
   * when /dev/shm has no room for them, never a SIGBUS at a later first
   * touch. NSPR: see nspr-segment.ts.
   */
  static open(name: string, size: number, openOptions?: OpenOptions): SharedMemory {
    const given = options('options', openOptions, ['create', 'exclusive', 'mode', 'readOnly', 'compat']);
    const compat = compatOf(given.compat);
    const shmName = compat === 'nspr' ? checkNsprName(name) : normalizeName(name);
    integerIn('size', size, 1, MAX_MAP_SIZE);
    const create = boolean('options.create', given.create, false);
    const exclusive = boolean('options.exclusive', given.exclusive, false);
    const readOnly = boolean('options.readOnly', given.readOnly, false);
    const mode = given.mode === undefined ? 0o600 : integerIn('options.mode', given.mode, 0, 0o777);
    if (create && readOnly) {
      // A segment has to be written to be given its size.
      throw invalidValue('options.readOnly', 'false when options.create is true', true);
    }
    if (compat === 'nspr') {
      const { segment, created } = openNsprSegment(shmName, size, create, exclusive, mode);
      return new SharedMemory(shmName, size, readOnly, created, segment);
    }
    let opened: { file: NativeFile; created: boolean };
    try {
      opened = native().openNamed(shmName, size, create, exclusive, mode, readOnly);
    } catch (error) {
      throw explainSpaceError(error, size);
    }
    const { file, created } = opened;
    return new SharedMemory(shmName, size, readOnly, created, new PosixObject(file, size, readOnly));
  }

  /**
   * Removes the name (NSPR's PR_DeleteSharedMemory); processes that have
   * the segment open keep the memory until they close it.
   */
  static unlink(name: string, unlinkOptions?: { compat?: Compat }): void {
    const compat = compatOf(options('options', unlinkOptions, ['compat']).compat);
    if (compat === 'nspr') unlinkNsprSegment(checkNsprName(name));
    else native().unlinkNamed(normalizeName(name));
  }

  get closed(): boolean {
    return this.#posix?.closed ?? this.#segmentClosed;
  }

  /** How many attachments are mapped now. */
  get mappedViews(): number {
    return this.#posix?.mappedViews ?? this.#segment!.mappedViews;
  }

  #openSegment(): SysVSegment {
    if (this.#segmentClosed) throw new ShmError('ERR_CLOSED', 'The shared memory is closed');
    return this.#segment!;
  }

  /** The file's status (POSIX), or the segment's as one (NSPR: attach, change and change times). */
  stat(): FileStatus {
    if (this.#posix !== undefined) return this.#posix.stat();
    const status = this.#openSegment().stat();
    return {
      size: status.size,
      mode: status.mode,
      uid: status.uid,
      gid: status.gid,
      accessTime: status.attachTime ?? status.changeTime,
      modifyTime: status.changeTime,
      changeTime: status.changeTime,
    };
  }

  /** Maps the whole segment into this process. */
  attach(attachOptions?: AttachOptions): Attachment {
    const readOnly = boolean('options.readOnly', options('options', attachOptions, ['readOnly']).readOnly, this.readOnly);
    integerIn('size', this.size, 1, MAX_VIEW_LENGTH);
    if (this.#posix === undefined) {
      const segment = this.#openSegment();
      if (!readOnly && this.readOnly) throw new ShmError('EACCES', 'The shared memory is read-only in this process; attach it with { readOnly: true }');
      return segment.attach({ readOnly });
    }
    return this.#posix.whole(readOnly);
  }

  /** Detaches every attachment (each `bytes` becomes empty) and closes it in this process; the segment and its name remain. */
  close(): void {
    if (this.#posix !== undefined) {
      this.#posix.close();
    } else if (!this.#segmentClosed) {
      this.#segment!.close(); // throws if an attachment stays mapped: then so does the segment
      this.#segmentClosed = true;
    }
  }
}
