/**
 * MapView: a zero-copy Uint8Array over shared memory, and the set of views
 * that a map ends when it closes.
 */
import { markAsUntransferable } from 'node:worker_threads';
import { ShmError } from './errors.js';
import { explainLockError } from './limits.js';
import type { NativeMapping } from './native.js';

/**
 * One mapping of shared memory into this process. `bytes` is a Uint8Array
 * whose bytes are the shared bytes themselves. After `unmap()` (or the
 * owning map's `close()`), `bytes` has length 0: no stale view can reach
 * memory that is gone.
 */
export class MapView {
  /** The shared bytes. Writing into a read-only view kills the process (SIGSEGV). */
  readonly bytes: Uint8Array;
  /** Where the view starts in the map, in bytes. */
  readonly offset: number;
  readonly readOnly: boolean;
  #native: NativeMapping | undefined;
  #onEnd: (view: MapView) => void;

  /** @internal */
  constructor(mapping: NativeMapping, offset: number, readOnly: boolean, onEnd: (view: MapView) => void) {
    this.#native = mapping;
    this.bytes = mapping.bytes;
    this.offset = offset;
    this.readOnly = readOnly;
    this.#onEnd = onEnd;
    // The buffer's memory must never move to another owner (a transfer to a
    // worker would let that owner free it while it is still shared).
    markAsUntransferable(this.bytes.buffer);
  }

  /** Length of the view in bytes; 0 once unmapped. */
  get length(): number {
    return this.bytes.length;
  }

  get mapped(): boolean {
    return this.#native !== undefined;
  }

  /**
   * Keeps the view's pages in RAM (mlock), never swapped out. ENOMEM or
   * EPERM with `error.limit` 'RLIMIT_MEMLOCK' when the limit (or a lack of
   * privilege) refuses. Unmapping unlocks.
   */
  lock(): void {
    try {
      this.#live().lock();
    } catch (error) {
      throw explainLockError(error, this.length);
    }
  }

  /** Lets the view's pages be swapped out again. */
  unlock(): void {
    this.#live().unlock();
  }

  #live(): NativeMapping {
    if (this.#native === undefined) throw new ShmError('ERR_CLOSED', 'The view is unmapped');
    return this.#native;
  }

  /** Ends the mapping. Calling it again does nothing. */
  unmap(): void {
    const mapping = this.#native;
    if (mapping === undefined) return;
    mapping.unmap();
    this.#native = undefined;
    this.#onEnd(this);
  }
}

/** The live views of one map, ended together when the map closes. */
export class ViewSet {
  readonly #views = new Set<MapView>();

  add(mapping: NativeMapping, offset: number, readOnly: boolean): MapView {
    const view = new MapView(mapping, offset, readOnly, (ended) => this.#views.delete(ended));
    this.#views.add(view);
    return view;
  }

  get size(): number {
    return this.#views.size;
  }

  endAll(): void {
    for (const view of [...this.#views]) view.unmap();
  }
}
