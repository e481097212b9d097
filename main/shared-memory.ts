/**
 * SharedMemory: named shared memory (POSIX shm_open), NSPR's
 * PR_OpenSharedMemory / PR_AttachSharedMemory / PR_DetachSharedMemory /
 * PR_CloseSharedMemory / PR_DeleteSharedMemory.
 */
import { MAX_MAP_SIZE, MAX_VIEW_LENGTH } from './anon-map.js';
import { invalidValue } from './errors.js';
import { explainSpaceError } from './limits.js';
import { MappedFile } from './mapped-file.js';
import { native, type NativeFile } from './native.js';
import { boolean, integerIn, options, stringMatching } from './validate.js';
import type { MapView } from './views.js';

export interface OpenOptions {
  /** Create the segment when it does not exist. Default false. */
  create?: boolean;
  /** With create: fail with EEXIST when it exists. Default false. */
  exclusive?: boolean;
  /** Permissions of a segment this call creates (the umask is not applied). Default 0o600. */
  mode?: number;
  /** Open for reading only; every attachment is then read-only. Default false. */
  readOnly?: boolean;
}

export interface AttachOptions {
  /** Attach read-only. Default: the segment's own access. */
  readOnly?: boolean;
}

/** An attachment of a named segment: `bytes`, and detach(). */
export type Attachment = MapView & { detach(): void };

// POSIX leaves names other than "/" plus one path component unportable;
// Linux allows up to NAME_MAX (255) bytes after the slash.
const NAME = /^\/?(?!\.{1,2}$)[A-Za-z0-9._-]{1,250}$/;
const NAME_WORDS = 'a name of 1 to 250 letters, digits, ".", "_" or "-", optionally after one leading "/"';

function normalizeName(name: unknown): string {
  const text = stringMatching('name', name, NAME, NAME_WORDS);
  return text.startsWith('/') ? text : `/${text}`;
}

export class SharedMemory extends MappedFile {
  /** The segment's name, with its leading "/". */
  readonly name: string;
  /** True when this open() created the segment. */
  readonly created: boolean;

  private constructor(name: string, file: NativeFile, size: number, created: boolean, readOnly: boolean) {
    super(file, size, readOnly);
    this.name = name;
    this.created = created;
  }

  /**
   * Opens the segment `name` of `size` bytes. ENOENT when it is missing and
   * `create` is off; EEXIST when `create` and `exclusive` find it;
   * ERR_SIZE_MISMATCH when it exists with another size. Every page of it is
   * reserved now, whoever created it: ENOSPC (`limit: '/dev/shm'`) when
   * /dev/shm has no room for them, never a SIGBUS at a later first touch.
   */
  static open(name: string, size: number, openOptions?: OpenOptions): SharedMemory {
    const shmName = normalizeName(name);
    integerIn('size', size, 1, MAX_MAP_SIZE);
    const given = options('options', openOptions, ['create', 'exclusive', 'mode', 'readOnly']);
    const create = boolean('options.create', given.create, false);
    const exclusive = boolean('options.exclusive', given.exclusive, false);
    const readOnly = boolean('options.readOnly', given.readOnly, false);
    const mode = given.mode === undefined ? 0o600 : integerIn('options.mode', given.mode, 0, 0o777);
    if (create && readOnly) {
      // A segment has to be written to be given its size.
      throw invalidValue('options.readOnly', 'false when options.create is true', true);
    }
    let opened: { file: NativeFile; created: boolean };
    try {
      opened = native().openNamed(shmName, size, create, exclusive, mode, readOnly);
    } catch (error) {
      throw explainSpaceError(error, size);
    }
    const { file, created } = opened;
    return new SharedMemory(shmName, file, size, created, readOnly);
  }

  /** Removes the name; processes that have it open keep the memory until they close it. */
  static unlink(name: string): void {
    native().unlinkNamed(normalizeName(name));
  }

  protected get kind(): string {
    return 'shared memory';
  }

  /** Maps the whole segment into this process. */
  attach(attachOptions?: AttachOptions): Attachment {
    const readOnly = boolean('options.readOnly', options('options', attachOptions, ['readOnly']).readOnly, this.readOnly);
    integerIn('size', this.size, 1, MAX_VIEW_LENGTH);
    const view = this.mapRange(0, this.size, readOnly) as Attachment;
    view.detach = () => view.unmap();
    return view;
  }
}
