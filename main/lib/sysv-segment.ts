/**
 * SysVSegment: System V shared memory (shmget, shmat, shmdt, shmctl), what
 * existing C programs and X11's MIT-SHM share. A segment has a numeric key
 * (or a path made into one by ftok) and, once it exists, an id; it outlives
 * every process until remove() marks it and the last one detaches.
 */
import { MAX_MAP_SIZE, MAX_VIEW_LENGTH } from './anon-map.js';
import { invalidType, invalidValue } from './errors.js';
import { explainLockError, explainSysvGetError } from './limits.js';
import { native, type NativeSysvStatus } from './native.js';
import type { AttachOptions } from './shared-memory.js';
import { boolean, integerIn, options } from './validate.js';
import { Attachment, ViewSet } from './views.js';

/** IPC_PRIVATE: a key that always makes a new segment, reachable only by its id. */
export const IPC_PRIVATE = 0;
const MIN_KEY = -(2 ** 31);
const MAX_KEY = 2 ** 31 - 1;

export interface SysVOpenOptions {
  /** Bytes of the segment. Needed to create one; when opening, the segment must be at least this large. */
  size?: number;
  /** Create the segment when the key has none. Default false. */
  create?: boolean;
  /** With create: fail with EEXIST when the key has a segment. Default false. */
  exclusive?: boolean;
  /** Permissions of a segment this call creates. Default 0o600. */
  mode?: number;
  /** With a path for a key: ftok's project id, 1 to 255. Default 1. */
  projectId?: number;
}

/** What shmctl(IPC_STAT) tells of a segment. */
export interface SegmentStatus {
  size: number;
  /** Permission bits. */
  mode: number;
  /** Owner. */
  uid: number;
  gid: number;
  /** Creator. */
  creatorUid: number;
  creatorGid: number;
  creatorPid: number;
  /** Of the last attach or detach. */
  lastPid: number;
  /** Attachments, in all processes. */
  attachCount: number;
  /** Null until it happens. */
  attachTime: Date | null;
  detachTime: Date | null;
  /** Creation, or the last change of its permissions. */
  changeTime: Date;
  /** Locked into RAM (lock()). */
  locked: boolean;
  /** Marked by remove(): destroyed when the last process detaches. */
  removed: boolean;
}

function date(seconds: number): Date | null {
  return seconds === 0 ? null : new Date(seconds * 1000);
}

function segmentStatus(raw: NativeSysvStatus): SegmentStatus {
  return { ...raw, attachTime: date(raw.attachTime), detachTime: date(raw.detachTime), changeTime: new Date(raw.changeTime * 1000) };
}

export class SysVSegment {
  /** The kernel's id of the segment: what another process (or X11) opens with fromId(). */
  readonly id: number;
  /** The key it was opened by; IPC_PRIVATE (0) for fromId() and private segments. */
  readonly key: number;
  /** True when this open() created the segment. */
  readonly created: boolean;
  readonly #views = new ViewSet();

  private constructor(id: number, key: number, created: boolean) {
    this.id = id;
    this.key = key;
    this.created = created;
  }

  /** The key ftok makes of an existing file and a project id (1 to 255). ENOENT if there is no such file. */
  static keyOf(path: string, projectId = 1): number {
    if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a non-empty string', path);
    return native().sysvKey(path, integerIn('projectId', projectId, 1, 255));
  }

  /**
   * Opens the segment of `key`: a number, or a path made into a key with
   * ftok. ENOENT when there is none and `create` is off; EEXIST when
   * `create` and `exclusive` find one; EINVAL when it is smaller than
   * `size` (or `size` passes kernel.shmmax: then `error.limit` says so).
   * Key 0 (IPC_PRIVATE) always creates a new segment.
   */
  static open(key: number | string, openOptions?: SysVOpenOptions): SysVSegment {
    const given = options('options', openOptions, ['size', 'create', 'exclusive', 'mode', 'projectId']);
    const create = boolean('options.create', given.create, false);
    const exclusive = boolean('options.exclusive', given.exclusive, false);
    const mode = given.mode === undefined ? 0o600 : integerIn('options.mode', given.mode, 0, 0o777);
    let numericKey: number;
    if (typeof key === 'string') {
      numericKey = SysVSegment.keyOf(key, given.projectId === undefined ? 1 : (given.projectId as number));
    } else {
      if (given.projectId !== undefined) throw invalidValue('options.projectId', 'no project id with a numeric key', given.projectId);
      numericKey = integerIn('key', key, MIN_KEY, MAX_KEY);
    }
    if (numericKey === IPC_PRIVATE && !create) {
      throw invalidValue('options.create', 'true with key 0 (IPC_PRIVATE), which always makes a new segment', given.create);
    }
    if (create && given.size === undefined) throw invalidType('options.size', 'a number of bytes when creating', undefined);
    const size = given.size === undefined ? 0 : integerIn('options.size', given.size, 1, MAX_MAP_SIZE);
    let opened;
    try {
      opened = native().sysvOpen(numericKey, size, create, exclusive, mode);
    } catch (error) {
      throw explainSysvGetError(error, size, create);
    }
    return new SysVSegment(opened.id, numericKey, opened.created);
  }

  /** The segment with this id, as another process or X11 hands it over. EINVAL if there is none. */
  static fromId(id: number): SysVSegment {
    const segment = new SysVSegment(integerIn('id', id, 0, MAX_KEY), IPC_PRIVATE, false);
    segment.stat(); // fails now, not at the first attach, if there is no such segment
    return segment;
  }

  /** Its size, as the kernel has it now. */
  get size(): number {
    return this.stat().size;
  }

  /** How many attachments this object has mapped now. */
  get mappedViews(): number {
    return this.#views.size;
  }

  /**
   * Attaches the whole segment into this process: `bytes` are the
   * segment's bytes. EACCES when its permissions refuse this process
   * (read-write needs write permission).
   */
  attach(attachOptions?: AttachOptions): Attachment {
    const readOnly = boolean('options.readOnly', options('options', attachOptions, ['readOnly']).readOnly, false);
    const size = integerIn('size', this.size, 1, MAX_VIEW_LENGTH);
    return this.#views.add(size, 0, readOnly, (target) => native().sysvAttach(target, this.id, size, readOnly), Attachment);
  }

  stat(): SegmentStatus {
    return segmentStatus(native().sysvStat(this.id));
  }

  /**
   * Marks the segment for destruction: the kernel destroys it when the last
   * process detaches, and meanwhile its key opens nothing. Attachments made
   * already go on working.
   */
  remove(): void {
    native().sysvRemove(this.id);
  }

  /**
   * Keeps the segment's pages in RAM (SHM_LOCK), never swapped out. ENOMEM
   * or EPERM with `error.limit` 'RLIMIT_MEMLOCK' when the limit (or a lack
   * of privilege) refuses; EPERM without `limit` when this process is
   * neither its owner nor its creator.
   */
  lock(): void {
    try {
      native().sysvSetLocked(this.id, true);
    } catch (error) {
      // EPERM also means "not yours to lock", which no limit explains.
      const status = this.stat();
      const euid = process.geteuid?.();
      if (euid !== 0 && euid !== status.uid && euid !== status.creatorUid) throw error;
      throw explainLockError(error, status.size);
    }
  }

  unlock(): void {
    native().sysvSetLocked(this.id, false);
  }

  /**
   * Detaches every attachment this object made. The segment itself lives
   * on. Should one not be detachable (ENOMEM), the others still are, and
   * close() can be called again.
   */
  close(): void {
    this.#views.endAll();
  }
}
