/**
 * What anonymous maps and named segments have in common: one descriptor of
 * shared memory, its size, and the views mapped from it, all ended by close().
 */
import * as fs from 'node:fs';
import { ShmError } from './errors.js';
import type { NativeFile } from './native.js';
import { ViewSet, type MapView, type ViewClass } from './views.js';

/**
 * What the system can tell of anonymous and named shared memory (fstat).
 * Unlike a System V segment's status, there is no creator or last pid and
 * no attach count: the kernel keeps none for these.
 */
export interface FileStatus {
  size: number;
  /** Permission bits. */
  mode: number;
  /** Owner. */
  uid: number;
  gid: number;
  /** Last read, last write, last change of size or permissions. */
  accessTime: Date;
  modifyTime: Date;
  changeTime: Date;
}

export abstract class MappedFile {
  /** Size of the shared memory in bytes. */
  readonly size: number;
  /** True when this process may only read the memory. */
  readonly readOnly: boolean;
  #file: NativeFile | undefined;
  readonly #views = new ViewSet();

  /** @internal */
  protected constructor(file: NativeFile, size: number, readOnly: boolean) {
    this.#file = file;
    this.size = size;
    this.readOnly = readOnly;
  }

  get closed(): boolean {
    return this.#file === undefined;
  }

  /** How many views of this memory are mapped now. */
  get mappedViews(): number {
    return this.#views.size;
  }

  /** @internal The open descriptor, or ERR_CLOSED. */
  protected nativeFile(): NativeFile {
    if (this.#file === undefined) throw new ShmError('ERR_CLOSED', `The ${this.kind} is closed`);
    return this.#file;
  }

  /** @internal Maps a range that the caller has checked, as a `View`. */
  protected mapRange<V extends MapView>(offset: number, length: number, readOnly: boolean, populate: boolean, View: ViewClass<V>): V {
    const file = this.nativeFile();
    if (!readOnly && this.readOnly) {
      throw new ShmError('EACCES', `The ${this.kind} is read-only in this process; map it with { readOnly: true }`);
    }
    return this.#views.add(length, offset, readOnly, (target) => file.map(target, offset, length, readOnly, populate), View);
  }

  /** Size, permissions, owner and times, as the kernel has them now. */
  stat(): FileStatus {
    const stats = fs.fstatSync(this.nativeFile().fd);
    return {
      size: stats.size,
      mode: stats.mode & 0o777,
      uid: stats.uid,
      gid: stats.gid,
      accessTime: stats.atime,
      modifyTime: stats.mtime,
      changeTime: stats.ctime,
    };
  }

  /** @internal How error messages name this thing. */
  protected abstract get kind(): string;

  /**
   * Unmaps every view (each `bytes` becomes empty) and closes the
   * descriptor. The memory itself lives on while another process uses it.
   * Closing twice does nothing. Should a view not be unmappable (ENOMEM),
   * the others still are, the map stays open, and close() can be called
   * again.
   */
  close(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#views.endAll(); // throws if a view stays mapped: then so does the descriptor
    file.close();
    this.#file = undefined;
  }
}
