/**
 * ResizableMap: shared memory that grows in place (after ccan rszshm).
 * Each process reserves the whole span of addresses once, as a growable
 * SharedArrayBuffer that V8 owns, and maps the shared memory over its start;
 * growing maps more of the span, so nothing already mapped moves and every
 * length-tracking view sees the new length. The size lives in a header
 * page at the start of the memory, where every process reads it.
 *
 * Positions inside the memory are offsets from the start of the data,
 * never addresses: view() makes a typed array at an offset, offsetOf()
 * gives a view's offset back.
 */
import { AnonMap, MAX_VIEW_LENGTH, type ExportOptions } from './anon-map.js';
import { closeOnFailure } from './close-on-failure.js';
import { invalidType, invalidValue, outOfRange, ShmError } from './errors.js';
import { ExportBook, exportPolicy } from './export-book.js';
import { receiveHandle, type ImportOptions } from './handle-import.js';
import { native, type NativeFile, type NativeMapping, type ResizableHeader } from './native.js';
import { integerIn, options, string } from './validate.js';
import { growableViewBuffer } from './view-buffer.js';
import { roundUpToPage } from './views.js';

export interface ResizableMapOptions {
  /** Most bytes the map may grow to: address space reserved now, memory only as it grows. Default: 1 GiB, or `size` if larger. */
  span?: number;
  /** Where the memory's file goes when memfd is refused (as AnonMap.create). */
  dir?: string;
}

const DEFAULT_SPAN = 1 << 30;

type TypedArrayConstructor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length?: number): T; readonly BYTES_PER_ELEMENT: number };

export class ResizableMap {
  /** Most bytes the map may grow to. */
  readonly span: number;
  readonly #anon: AnonMap;
  readonly #exports = new ExportBook('resizable', 'this resizable map');
  readonly #file: NativeFile;
  readonly #buffer: SharedArrayBuffer;
  readonly #offset: number;
  #bytes: Uint8Array;
  #mapping: NativeMapping | undefined;
  #size: number;

  private constructor(anon: AnonMap, file: NativeFile, { size, span, dataOffset }: ResizableHeader) {
    this.#anon = anon;
    this.#file = file;
    this.span = span;
    const page = native().pageSize();
    // The span plus a page, so that a page-aligned run of `span` bytes fits
    // wherever V8 reserves it (in practice at a page boundary already). A
    // growable SharedArrayBuffer, because it never shrinks: V8 zeroes the
    // tail of a shrunk buffer, which here would be shared bytes.
    const target = growableViewBuffer(page, span + page);
    const buffer = target.buffer as SharedArrayBuffer;
    this.#offset = native().pageOffsetOf(target);
    growTo(buffer, this.#offset + size);
    this.#mapping = file.map(target, dataOffset, size, false, false).mapping;
    this.#buffer = buffer;
    this.#size = size;
    this.#bytes = new Uint8Array(buffer, this.#offset);
  }

  /**
   * The data, zero-copy. Length-tracking: after grow() or sync() the same
   * Uint8Array is longer, at the same address, with the same contents. It
   * tracks the buffer, so if code holding `bytes.buffer` grows it past
   * `size`, the part past `size` is private to this process until grow()
   * or sync() maps it. An empty array once closed; arrays taken before
   * then read private zeros, and nothing written to them reaches another
   * process.
   */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /**
   * Creates `size` bytes of zeroed shared memory (rounded up to whole
   * pages) that may grow to `span`.
   */
  static create(size: number, mapOptions?: ResizableMapOptions): ResizableMap {
    const page = native().pageSize();
    const max = maxSpan();
    integerIn('size', size, 1, max);
    const given = options('options', mapOptions, ['span', 'dir']);
    const dataSize = roundUpToPage(size);
    const span = roundUpToPage(given.span === undefined ? Math.max(DEFAULT_SPAN, dataSize) : integerIn('options.span', given.span, 1, max));
    if (span < dataSize) throw outOfRange('options.span', `at least size (${dataSize} bytes, in whole pages)`, given.span);
    const anon = AnonMap.createGrowable(page + dataSize, given.dir === undefined ? undefined : { dir: string('options.dir', given.dir) });
    return closeOnFailure(anon, (anon) => new ResizableMap(anon, anon.file, anon.file.initResizable(dataSize, span)));
  }

  /**
   * Maps, in this process, the resizable map behind a handle from
   * exportHandle(), at its size now. ERR_HANDLE_INVALID for a handle of
   * anything else; ERR_NOT_RESIZABLE for memory an exporter sent under a
   * resizable map's handle without a resizable map's header.
   */
  static import(handle: string, importOptions?: ImportOptions): ResizableMap {
    const { file, description } = receiveHandle(handle, 'resizable', importOptions);
    return closeOnFailure(new AnonMap(file, description.size, false), (anon) => {
      const header = file.readResizable(0);
      // The header is shared: any process of the map may have written it.
      // The native side checked it against the file; what it may reserve
      // in this process is ours to bound.
      if (header.span % native().pageSize() !== 0 || header.span > maxSpan()) {
        throw new ShmError('ERR_MAP_CORRUPT', `The map's header says a span of ${header.span} bytes, which this module never writes (at most ${maxSpan()}, in whole pages)`);
      }
      return new ResizableMap(anon, file, header);
    });
  }

  /** Bytes of data mapped in this process (whole pages). Another process may have grown the map further: see sync(). */
  get size(): number {
    return this.#size;
  }

  get closed(): boolean {
    return this.#mapping === undefined;
  }

  /**
   * Grows the map to at least `size` bytes (rounded up to whole pages;
   * default: twice its size, or the span if that is less) and maps the
   * growth here. If another process grew it further already, this process
   * takes that size. Returns the size. ERR_SPAN_EXCEEDED past the span.
   */
  grow(size?: number): number {
    this.#live();
    let wanted: number;
    if (size === undefined) {
      if (this.#size >= this.span) {
        throw new ShmError('ERR_SPAN_EXCEEDED', `The map is at its span of ${this.span} bytes and cannot grow further`);
      }
      wanted = Math.min(this.span, this.#size * 2);
    } else {
      wanted = roundUpToPage(integerIn('size', size, 1, Number.MAX_SAFE_INTEGER));
    }
    this.#extendTo(this.#file.growResizable(wanted, this.span));
    return this.#size;
  }

  /** Maps what other processes have grown the map to since; returns the size. */
  sync(): number {
    this.#live();
    this.#extendTo(this.#file.readResizable(this.span).size);
    return this.#size;
  }

  #extendTo(size: number): void {
    if (size <= this.#size) return;
    growTo(this.#buffer, this.#offset + size);
    this.#mapping!.extend(this.#file, size);
    this.#size = size;
  }

  /**
   * A typed array over the data from `byteOffset` (a multiple of its
   * element size): `length` elements, or, without it, length-tracking to
   * the end of the data as the map grows. The way to reach a structure
   * kept at an offset.
   */
  view<T>(type: TypedArrayConstructor<T>, byteOffset: number, length?: number): T {
    this.#live();
    if (typeof type !== 'function' || !Number.isInteger(type.BYTES_PER_ELEMENT)) throw invalidType('type', 'a typed array class', type);
    const element = type.BYTES_PER_ELEMENT;
    integerIn('byteOffset', byteOffset, 0, this.#size);
    if (byteOffset % element !== 0) throw outOfRange('byteOffset', `a multiple of ${element}`, byteOffset);
    if (length === undefined) return new type(this.#buffer, this.#offset + byteOffset);
    integerIn('length', length, 0, Math.floor((this.#size - byteOffset) / element));
    return new type(this.#buffer, this.#offset + byteOffset, length);
  }

  /** The offset in the data where a view of this map (from `bytes` or view()) starts. */
  offsetOf(view: ArrayBufferView): number {
    if (!ArrayBuffer.isView(view)) throw invalidType('view', 'a typed array or DataView', view);
    if (view.buffer !== this.#buffer) throw invalidValue('view', 'a view of this map', view);
    return view.byteOffset - this.#offset;
  }

  /** A handle for ResizableMap.import() in another process (as AnonMap's exportHandle; read-write only). */
  exportHandle(exportOptions?: Omit<ExportOptions, 'readOnly'>): string {
    this.#live();
    const { once, pid } = exportPolicy(options('options', exportOptions, ['once', 'pid']));
    return this.#exports.record(native().exportFile(this.#anon.readWriteFile(), once, pid), this.#anon.size, false);
  }

  /** Ends a handle: later imports of it fail with ERR_HANDLE_REVOKED. False if it had already ended. */
  revokeHandle(handle: string): boolean {
    return this.#exports.revoke(handle);
  }

  /**
   * Unmaps the data here (`bytes` becomes empty; views made before read
   * private zeros), revokes this process's handles and closes the
   * descriptor. Other processes keep the memory. Closing twice does nothing.
   */
  close(): void {
    const mapping = this.#mapping;
    if (mapping === undefined) return;
    mapping.unmap(); // first: if it fails, the map stays open and close() can be tried again
    this.#mapping = undefined;
    this.#bytes = new Uint8Array(0);
    this.#exports.revokeAll();
    this.#anon.close();
  }

  #live(): void {
    if (this.#mapping === undefined) throw new ShmError('ERR_CLOSED', 'The resizable map is closed');
  }
}

/** The largest span: a view buffer of it and a page stays within MAX_VIEW_LENGTH. */
function maxSpan(): number {
  const page = native().pageSize();
  return Math.floor((MAX_VIEW_LENGTH - page) / page) * page;
}

/**
 * Grows the buffer to `length` bytes unless it is that long already. Any
 * code holding it, in any thread, may have grown it further, even between
 * the check and grow(): that only adds private pages past the shared ones,
 * which extend() then covers.
 */
function growTo(buffer: SharedArrayBuffer, length: number): void {
  try {
    if (buffer.byteLength < length) (buffer as SharedArrayBuffer & { grow(length: number): void }).grow(length);
  } catch (error) {
    if (buffer.byteLength < length) throw error; // not another thread's growth: a real failure
  }
}
