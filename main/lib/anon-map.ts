/**
 * AnonMap: shared memory with no name, handed to other processes by handle
 * string or by inheritance (NSPR's anonymous file map).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ShmError, outOfRange } from './errors.js';
import { ExportBook, exportPolicy } from './export-book.js';
import { receiveHandle, type ImportOptions } from './handle-import.js';
import { explainSpaceError } from './limits.js';
import { MappedFile } from './mapped-file.js';
import { native, type ExportTicket, type NativeFile } from './native.js';
import { boolean, integerIn, options, string } from './validate.js';
import { MapView } from './views.js';

/** Largest map: the user address space of x86-64 and arm64 Linux (128 TiB). */
export const MAX_MAP_SIZE = 2 ** 47;
/** Largest single view: Node 20's limit on a Uint8Array (4 GiB), less 64 KiB. */
export const MAX_VIEW_LENGTH = 2 ** 32 - 65536;

export interface AnonMapOptions {
  /**
   * Directory for the backing file where the kernel refuses memfd (or
   * ELECTRON_SHM_DISABLE_MEMFD=1 asks not to use it). The file is created
   * with mode 0600 and unlinked at once. Default: /dev/shm, else the OS
   * temporary directory.
   */
  dir?: string;
}

export interface MapOptions {
  /** Map read-only. Default: true for a read-only map, false otherwise. */
  readOnly?: boolean;
  /**
   * Fill the page tables now (MAP_POPULATE), so that no first touch of a
   * page faults later. Costs the time up front. Default false.
   */
  populate?: boolean;
}

export interface ExportOptions {
  /**
   * The importer gets memory it can only read, enforced by the kernel. The
   * first read-only export seals the memory: from then on nobody, this
   * process included, can make a new writable mapping of it. Map what you
   * need writable before.
   */
  readOnly?: boolean;
  /**
   * The first successful import uses the handle up: one whose importer
   * confirmed that the memory arrived. While one import is under way,
   * another is refused with ERR_HANDLE_REVOKED.
   */
  once?: boolean;
  /** Only the process with this pid may import. */
  pid?: number;
}

export type { ImportOptions } from './handle-import.js';

function defaultDir(): string {
  return fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

export class AnonMap extends MappedFile {
  readonly #exports = new ExportBook('map', 'this map');

  /** @internal */
  constructor(file: NativeFile, size: number, readOnly: boolean) {
    super(file, size, readOnly);
  }

  /**
   * Creates `size` bytes of zeroed shared memory that no other process can
   * reach until this one hands it over. Its size is fixed: no process can
   * change it.
   */
  static create(size: number, mapOptions?: AnonMapOptions): AnonMap {
    return AnonMap.#create(size, mapOptions, false);
  }

  /** @internal For a resizable map: memory whose size may grow (never shrink). */
  static createGrowable(size: number, mapOptions?: AnonMapOptions): AnonMap {
    return AnonMap.#create(size, mapOptions, true);
  }

  static #create(size: number, mapOptions: AnonMapOptions | undefined, growable: boolean): AnonMap {
    integerIn('size', size, 1, MAX_MAP_SIZE);
    const { dir: given = defaultDir() } = options('options', mapOptions, ['dir']);
    const dir = string('options.dir', given);
    const allowMemfd = process.env.ELECTRON_SHM_DISABLE_MEMFD !== '1';
    let file: NativeFile;
    try {
      file = native().createAnonymousFile(size, dir, allowMemfd, growable);
    } catch (error) {
      // Only the file fallback reserves its pages, in `dir`.
      throw explainSpaceError(error, size, dir);
    }
    return new AnonMap(file, size, false);
  }

  protected get kind(): string {
    return 'map';
  }

  /** 'memfd' (sealable, no name ever), or 'file' (an unlinked file in `dir`). */
  get backing(): 'memfd' | 'file' {
    return this.nativeFile().describe().memfd ? 'memfd' : 'file';
  }

  /** True once a read-only export sealed the memory against new writable mappings. */
  get sealed(): boolean {
    return this.nativeFile().describe().writeSealed;
  }

  /**
   * Maps `length` bytes from `offset` (a multiple of the page size) into this
   * process and returns the view. A map can have many views at once.
   */
  map(offset = 0, length = this.size - offset, mapOptions?: MapOptions): MapView {
    const page = native().pageSize();
    integerIn('offset', offset, 0, this.size - 1);
    if (offset % page !== 0) throw outOfRange('offset', `a multiple of the page size (${page})`, offset);
    integerIn('length', length, 1, Math.min(this.size - offset, MAX_VIEW_LENGTH));
    const given = options('options', mapOptions, ['readOnly', 'populate']);
    const readOnly = boolean('options.readOnly', given.readOnly, this.readOnly);
    const populate = boolean('options.populate', given.populate, false);
    this.nativeFile();
    if (!readOnly && !this.readOnly && this.sealed) {
      throw new ShmError(
        'EACCES',
        'The map was sealed by a read-only export: no new writable mapping of it can be made. Map it writable before exporting read-only, or map it with { readOnly: true }',
      );
    }
    return this.mapRange(offset, length, readOnly, populate, MapView);
  }

  /**
   * A handle string that lets another process of this user import the map
   * with importHandle(), while this map is open and the handle not revoked.
   */
  exportHandle(exportOptions?: ExportOptions): string {
    const given = options('options', exportOptions, ['readOnly', 'once', 'pid']);
    const readOnly = boolean('options.readOnly', given.readOnly, false);
    const { once, pid } = exportPolicy(given);
    const ticket = readOnly ? this.#exportReadOnly(once, pid) : native().exportFile(this.readWriteFile(), once, pid);
    return this.#exports.record(ticket, this.size, readOnly);
  }

  #exportReadOnly(once: boolean, pid: number): ExportTicket {
    const readOnlyFile = this.openReadOnlyFile();
    try {
      return native().exportFile(readOnlyFile, once, pid);
    } finally {
      readOnlyFile.close();
    }
  }

  /**
   * @internal A new read-only descriptor of the memory, after sealing it
   * against new writable mappings and new seals: what a read-only importer
   * or child gets.
   */
  openReadOnlyFile(): NativeFile {
    const file = this.nativeFile();
    const description = file.describe();
    if (!description.writeSealed) {
      if (!description.memfd) {
        throw new ShmError('ENOTSUP', 'Read-only sharing needs memfd sealing, and this map is backed by a file');
      }
      if (description.sealsFinal) {
        // Any holder of a writable descriptor could add a seal until the
        // seals were sealed, so they were at the first read-write sharing.
        throw new ShmError('EACCES', 'The map was shared read-write, which made its seals final: it cannot be sealed read-only now. Export it read-only before any read-write export or hand-down');
      }
      file.sealForSharing(true);
    }
    return file.reopenReadOnly();
  }

  /**
   * @internal The map's own descriptor, for a read-write importer or child,
   * after sealing its seals: no process it reaches can add one (a
   * F_SEAL_FUTURE_WRITE or F_SEAL_GROW of its own, say).
   */
  readWriteFile(): NativeFile {
    const file = this.nativeFile();
    if (this.readOnly) throw new ShmError('EACCES', 'A read-only map can only be shared read-only');
    const description = file.describe();
    if (description.writeSealed) {
      throw new ShmError('EACCES', 'The map was sealed by a read-only export: it can only be shared read-only now');
    }
    if (description.memfd && !description.sealsFinal) file.sealForSharing(false);
    return file;
  }

  /** @internal The native file, for a frame channel built on this map. */
  get file(): NativeFile {
    return this.nativeFile();
  }

  /**
   * Ends a handle this map exported: importing it fails with
   * ERR_HANDLE_REVOKED from then on. Returns false if it had already ended
   * (revoked, or used up by a `once` import). Maps already imported with it
   * stay valid.
   */
  revokeHandle(handle: string): boolean {
    return this.#exports.revoke(handle);
  }

  /** Revokes every handle, unmaps every view and closes the map. */
  override close(): void {
    if (this.closed) return;
    this.#exports.revokeAll();
    super.close();
  }
}

/**
 * Maps the memory of a handle string from another process (or this one).
 * The result is an AnonMap of the handle's size; `readOnly` when the handle
 * was exported read-only.
 */
export function importHandle(handle: string, importOptions?: ImportOptions): AnonMap {
  const { fields, file } = receiveHandle(handle, 'map', importOptions);
  return new AnonMap(file, fields.size, fields.readOnly);
}
