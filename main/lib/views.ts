/**
 * MapView: a zero-copy Uint8Array over shared memory, and the set of views
 * that a map ends when it closes.
 */
import { ShmError } from './errors.js';
import { explainLockError } from './limits.js';
import { native, type NativeMapping, type PlacedMapping } from './native.js';
import { viewBuffer } from './view-buffer.js';

/** `n` rounded up to whole pages. */
export function roundUpToPage(n: number): number {
  const page = native().pageSize();
  return Math.ceil(n / page) * page;
}

/**
 * Shared pages placed in a new view buffer: `place` gets a Uint8Array over
 * the whole buffer (its length rounded up to pages, plus one page, so that
 * whole pages fit at its first page boundary) and puts them there.
 */
export function placeView(length: number, place: (target: Uint8Array) => PlacedMapping): { mapping: NativeMapping; bytes: Uint8Array } {
  const target = viewBuffer(roundUpToPage(length) + native().pageSize());
  const { mapping, offset } = place(target);
  return { mapping, bytes: new Uint8Array(target.buffer, offset, length) };
}

/**
 * One mapping of shared memory into this process. `bytes` is a Uint8Array
 * whose bytes are the shared bytes themselves. After `unmap()` (or the
 * owning map's `close()`), `bytes` is an empty array, and arrays taken from
 * it before keep their length but read private zeros: nothing written
 * through them reaches another process.
 */
export class MapView {
  /** Where the view starts in the map, in bytes. */
  readonly offset: number;
  readonly readOnly: boolean;
  #bytes: Uint8Array;
  #native: NativeMapping | undefined;
  #onEnd: (view: MapView) => void;

  /** @internal */
  constructor(mapping: NativeMapping, bytes: Uint8Array, offset: number, readOnly: boolean, onEnd: (view: MapView) => void) {
    this.#native = mapping;
    this.#bytes = bytes;
    this.offset = offset;
    this.readOnly = readOnly;
    this.#onEnd = onEnd;
  }

  /**
   * The shared bytes; an empty array once unmapped. Writing into a
   * read-only view kills the process (SIGSEGV).
   */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Length of the view in bytes; 0 once unmapped. */
  get length(): number {
    return this.#bytes.length;
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

  /**
   * Ends the mapping: this process's pages become private zeros again.
   * Calling it again does nothing.
   */
  unmap(): void {
    const mapping = this.#native;
    if (mapping === undefined) return;
    mapping.unmap();
    this.#native = undefined;
    this.#bytes = new Uint8Array(0);
    this.#onEnd(this);
  }
}

/**
 * A view of the whole of a named or System V segment. detach() is its
 * unmap() under the name NSPR and System V give it.
 */
export class Attachment extends MapView {
  /** Ends the attachment (as unmap()). Calling it again does nothing. */
  detach(): void {
    this.unmap();
  }
}

/** The class a ViewSet makes its views of: MapView, or Attachment. */
export type ViewClass<V extends MapView> = new (...args: ConstructorParameters<typeof MapView>) => V;

/** The live views of one map, ended together when the map closes. */
export class ViewSet {
  readonly #views = new Set<MapView>();

  /** Places `length` bytes of shared memory (see placeView) and keeps the view, a `View`. */
  add<V extends MapView>(length: number, offset: number, readOnly: boolean, place: (target: Uint8Array) => PlacedMapping, View: ViewClass<V>): V {
    const { mapping, bytes } = placeView(length, place);
    const view = new View(mapping, bytes, offset, readOnly, (ended) => this.#views.delete(ended));
    this.#views.add(view);
    return view;
  }

  get size(): number {
    return this.#views.size;
  }

  /**
   * Unmaps every view. One that cannot be unmapped (ENOMEM: private pages
   * could not be put back, see docs/zero-copy-views.md, "Mapping limits")
   * stays mapped and in the set, the others are still unmapped, and the
   * first error is thrown after.
   */
  endAll(): void {
    let failure: unknown;
    for (const view of [...this.#views]) {
      try {
        view.unmap();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
