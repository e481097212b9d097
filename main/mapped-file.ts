/**
 * What anonymous maps and named segments have in common: one descriptor of
 * shared memory, its size, and the views mapped from it, all ended by close().
 */
import { ShmError } from './errors.js';
import type { NativeFile } from './native.js';
import { MapView, ViewSet } from './views.js';

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

  /** @internal Maps a range that the caller has checked. */
  protected mapRange(offset: number, length: number, readOnly: boolean, populate = false): MapView {
    const file = this.nativeFile();
    if (!readOnly && this.readOnly) {
      throw new ShmError('EACCES', `The ${this.kind} is read-only in this process; map it with { readOnly: true }`);
    }
    return this.#views.add(file.map(offset, length, readOnly, populate), offset, readOnly);
  }

  /** @internal How error messages name this thing. */
  protected abstract get kind(): string;

  /**
   * Unmaps every view (each `bytes` becomes length 0) and closes the
   * descriptor. The memory itself lives on while another process uses it.
   * Closing twice does nothing.
   */
  close(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#views.endAll();
    file.close();
    this.#file = undefined;
  }
}
