/**
 * FrameChannel: video frames between processes without a copy. One
 * anonymous map holds a control header and a fixed set of slots, each one
 * frame; a publisher loans a slot, writes pixels in place and sends it;
 * subscribers in any process receive it as a zero-copy view
 * (docs/frame-channel.md).
 */
import { AnonMap, MAX_MAP_SIZE, MAX_VIEW_LENGTH, type ExportOptions } from './anon-map.js';
import { closeOnFailure } from './close-on-failure.js';
import { ShmError, invalidType, invalidValue, outOfRange } from './errors.js';
import { ExportBook, exportPolicy } from './export-book.js';
import { FramePublisher } from './frame-publisher.js';
import { FrameSubscriber } from './frame-subscriber.js';
import { frameLayout, PIXEL_FORMATS, planeViews, type FrameLayout, type PixelFormat } from './frame-format.js';
import { receiveHandle, type ImportOptions } from './handle-import.js';
import { explainSpaceError } from './limits.js';
import { frameConstants, native, type FrameGeometry, type NativeFrameCore } from './native.js';
import { integerIn, options, string } from './validate.js';
import type { MapView } from './views.js';
import { registerWakeTarget, unregisterWakeTarget, type WakeKind } from './wake.js';

export type FramePolicy = 'latest' | 'queue';

/** @internal A slot's frame bytes, its planes, and its metadata bytes. */
export interface SlotViews {
  pixels: Uint8Array;
  planes: readonly Uint8Array[];
  meta: Uint8Array;
}

export interface FrameChannelOptions {
  width: number;
  height: number;
  /** Default 'rgba'. */
  format?: PixelFormat;
  /** Frames the channel holds at once, 2 to 64. Default 4. */
  slots?: number;
  /**
   * 'latest' (default): a subscriber receives the newest frame and skips
   * what it missed; the publisher never waits. 'queue': every subscriber
   * receives every frame in order; the publisher is held back by the slowest.
   */
  policy?: FramePolicy;
  /** How many channel instances (processes) may use the channel at once, 1 to 64. Default 16. */
  processes?: number;
  /** As AnonMap.create's `dir`: where the memory lives if memfd is refused. */
  dir?: string;
}

/** `once` and `pid`, as for a map: a frame channel is shared read-write only. */
export type ChannelExportOptions = Omit<ExportOptions, 'readOnly'>;

// A literal, not the addon's frameConstants().metaBytes, which the slots are
// laid out with: an ES module import of the package reads every export, and
// importing must not load the addon. test/100.frames.api.test.ts checks that
// the two agree.
/** Bytes after each frame in its slot, for the publisher's own metadata. */
export const FRAME_META_BYTES = 64;

/** Where a slot's metadata starts after its frame: a cache line, so that no line holds both. */
const META_ALIGN = 64;

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

function geometryFor(layout: FrameLayout, slots: number, policy: FramePolicy, processes: number): FrameGeometry {
  const page = native().pageSize();
  const { metaBytes, policies, headerBytes } = frameConstants();
  const slotSize = roundUp(roundUp(layout.frameSize, META_ALIGN) + metaBytes, page);
  return {
    width: layout.width,
    height: layout.height,
    format: PIXEL_FORMATS.indexOf(layout.format),
    policy: policies.indexOf(policy),
    slots,
    endpoints: processes,
    frameSize: layout.frameSize,
    slotSize,
    slotsOffset: headerBytes,
  };
}

export class FrameChannel {
  /** Width, height, format, stride and planes of every frame. */
  readonly layout: FrameLayout;
  readonly policy: FramePolicy;
  readonly slots: number;
  /** How many channel instances may use it at once. */
  readonly processes: number;
  readonly #map: AnonMap;
  #core: NativeFrameCore | undefined;
  readonly #exports = new ExportBook('frames', 'this frame channel');
  readonly #geometry: FrameGeometry;
  readonly #tokens: { id: number; wake: number; publisher: number };
  #joined = false;
  #writableSlots: MapView | undefined;
  #readableSlots: MapView | undefined;
  readonly #writableViews: SlotViews[] = [];
  readonly #readableViews: SlotViews[] = [];
  #publisher: FramePublisher | undefined;
  readonly #subscribers = new Set<FrameSubscriber>();

  private constructor(map: AnonMap, core: NativeFrameCore, layout: FrameLayout, geometry: FrameGeometry) {
    this.#map = map;
    this.#core = core;
    this.layout = layout;
    this.#geometry = geometry;
    this.policy = frameConstants().policies[geometry.policy]!;
    this.slots = geometry.slots;
    this.processes = geometry.endpoints;
    this.#tokens = registerWakeTarget((kind) => this.#onWake(kind));
  }

  get width(): number {
    return this.layout.width;
  }

  get height(): number {
    return this.layout.height;
  }

  get format(): PixelFormat {
    return this.layout.format;
  }

  get stride(): number {
    return this.layout.stride;
  }

  get frameSize(): number {
    return this.layout.frameSize;
  }

  get closed(): boolean {
    return this.#core === undefined;
  }

  /**
   * A channel of `slots` frames of `width` × `height` in `format`, its
   * memory allocated and faulted in now, so that no frame pays for it later.
   */
  static create(channelOptions: FrameChannelOptions): FrameChannel {
    if (channelOptions === undefined) throw invalidType('options', 'an object with width and height', channelOptions);
    const given = options('options', channelOptions, ['width', 'height', 'format', 'slots', 'policy', 'processes', 'dir']);
    const layout = frameLayout(given.width, given.height, given.format ?? 'rgba');
    const { maxSlots, maxEndpoints, policies } = frameConstants();
    const slots = given.slots === undefined ? 4 : integerIn('options.slots', given.slots, 2, maxSlots);
    const policy = (given.policy ?? 'latest') as FramePolicy;
    if (!policies.includes(policy)) throw invalidValue('options.policy', `one of ${policies.join(', ')}`, given.policy);
    const processes = given.processes === undefined ? 16 : integerIn('options.processes', given.processes, 1, maxEndpoints);
    const geometry = geometryFor(layout, slots, policy, processes);
    const slotBytes = geometry.slotSize * slots;
    if (slotBytes > MAX_VIEW_LENGTH || geometry.slotsOffset + slotBytes > MAX_MAP_SIZE) {
      throw outOfRange('options.slots', `at most ${Math.floor(MAX_VIEW_LENGTH / geometry.slotSize)} slots of this frame size`, slots);
    }
    const map = AnonMap.create(geometry.slotsOffset + slotBytes, given.dir === undefined ? undefined : { dir: string('options.dir', given.dir) });
    return closeOnFailure(map, (map) => {
      try {
        map.file.allocate();
      } catch (error) {
        throw explainSpaceError(error, map.size);
      }
      return new FrameChannel(map, native().createFrameCore(map.file, geometry, map.size), layout, geometry);
    });
  }

  /** Opens, in this process, the channel behind a handle from exportHandle(). */
  static import(handle: string, importOptions?: ImportOptions): FrameChannel {
    const { file, description } = receiveHandle(handle, 'frames', importOptions);
    return closeOnFailure(new AnonMap(file, description.size, false), (map) =>
      closeOnFailure(native().openFrameCore(file, description.size), (core) => {
        const geometry = core.geometry();
        return new FrameChannel(map, core, FrameChannel.#checkedLayout(geometry, description.size), geometry);
      }),
    );
  }

  static #checkedLayout(geometry: FrameGeometry, mapSize: number): FrameLayout {
    const format = PIXEL_FORMATS[geometry.format];
    const policy = frameConstants().policies[geometry.policy];
    const invalid = () => new ShmError('ERR_HANDLE_INVALID', 'The frame channel header is not one this module wrote');
    if (format === undefined || policy === undefined) throw invalid();
    let layout: FrameLayout;
    try {
      layout = frameLayout(geometry.width, geometry.height, format);
    } catch {
      throw invalid();
    }
    const expected = geometryFor(layout, geometry.slots, policy, geometry.endpoints);
    const same = (Object.keys(expected) as (keyof FrameGeometry)[]).every((key) => expected[key] === geometry[key]);
    if (!same || mapSize < expected.slotsOffset + expected.slotSize * expected.slots) throw invalid();
    return layout;
  }

  /**
   * A handle another process of this user opens with FrameChannel.import().
   * The channel's wake descriptors travel with its memory.
   */
  exportHandle(exportOptions?: ChannelExportOptions): string {
    const { once, pid } = exportPolicy(options('options', exportOptions, ['once', 'pid']));
    const core = this.#live();
    return this.#exports.record(native().exportFile(this.#map.readWriteFile(), once, pid, core), this.#map.size, false);
  }

  /** Ends a handle: later imports of it fail with ERR_HANDLE_REVOKED. */
  revokeHandle(handle: string): boolean {
    this.#live();
    return this.#exports.revoke(handle);
  }

  /** The channel's one publisher. ERR_PUBLISHER_EXISTS while another (in any process) is open. */
  publisher(): FramePublisher {
    const core = this.#live();
    this.#join();
    // Mapped (and page tables filled) now, not at the first loan.
    this.#writableSlots ??= this.#mapSlots(false);
    core.claimPublisher();
    this.#publisher = new FramePublisher(this, core);
    return this.#publisher;
  }

  /** A new subscriber; a channel has up to 64 across all processes. */
  subscriber(): FrameSubscriber {
    const core = this.#live();
    this.#join();
    this.#readableSlots ??= this.#mapSlots(true);
    const subscriber = new FrameSubscriber(this, core, core.addSubscriber());
    this.#subscribers.add(subscriber);
    return subscriber;
  }

  /**
   * Closes the publisher and subscribers of this instance (pending waits
   * reject with ERR_CLOSED), unmaps every frame and revokes every handle.
   * Other processes keep their own instances. Closing again does nothing, or finishes a close that threw.
   */
  close(): void {
    const core = this.#core;
    if (core !== undefined) {
      this.#publisher?.close();
      for (const subscriber of [...this.#subscribers]) subscriber.close();
      this.#exports.revokeAll();
      core.close();
      this.#core = undefined;
      unregisterWakeTarget(this.#tokens.id);
    }
    // Again on a second call if it threw: a view it could not unmap
    // (vm.max_map_count) keeps the map open until one succeeds.
    this.#map.close();
  }

  /**
   * @internal The views of a slot, for a publisher (writable) or a
   * subscriber: made once per slot, not once per frame.
   */
  slotBytes(slot: number, writable: boolean): SlotViews {
    const cache = writable ? this.#writableViews : this.#readableViews;
    return (cache[slot] ??= this.#viewsOf(slot, writable));
  }

  #viewsOf(slot: number, writable: boolean): SlotViews {
    const view = writable ? (this.#writableSlots ??= this.#mapSlots(false)) : (this.#readableSlots ??= this.#mapSlots(true));
    const start = slot * this.#geometry.slotSize;
    const metaStart = start + roundUp(this.#geometry.frameSize, META_ALIGN);
    const pixels = view.bytes.subarray(start, start + this.#geometry.frameSize);
    return { pixels, planes: planeViews(this.layout, pixels), meta: view.bytes.subarray(metaStart, metaStart + frameConstants().metaBytes) };
  }

  /** @internal The token a subscriber passes to have the publisher's exit watched. */
  get publisherWatchToken(): number {
    return this.#tokens.publisher;
  }

  /** @internal */
  forgetPublisher(): void {
    this.#publisher = undefined;
  }

  /** @internal */
  forgetSubscriber(subscriber: FrameSubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  #mapSlots(readOnly: boolean): MapView {
    const g = this.#geometry;
    // Populated: every page table entry filled now, in this process, once.
    return this.#map.map(g.slotsOffset, g.slotSize * g.slots, { readOnly, populate: true });
  }

  #live(): NativeFrameCore {
    if (this.#core === undefined) throw new ShmError('ERR_CLOSED', 'The frame channel is closed');
    return this.#core;
  }

  #join(): void {
    if (this.#joined) return;
    this.#live().join(this.#tokens.wake);
    this.#joined = true;
  }

  #onWake(kind: WakeKind): void {
    if (this.#core === undefined) return;
    for (const subscriber of [...this.#subscribers]) subscriber.service();
    if (kind === 'wake') this.#publisher?.service();
  }
}
