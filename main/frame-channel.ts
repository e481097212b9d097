/**
 * FrameChannel: video frames between processes without a copy. One
 * anonymous map holds a control header and a fixed set of slots, each one
 * frame; a publisher loans a slot, writes pixels in place and sends it;
 * subscribers in any process receive it as a zero-copy view
 * (docs/frame-channel.md).
 */
import { AnonMap, fetchHandle, MAX_MAP_SIZE, MAX_VIEW_LENGTH, type ImportOptions } from './anon-map.js';
import { ShmError, invalidType, invalidValue, outOfRange } from './errors.js';
import { FramePublisher } from './frame-publisher.js';
import { FrameSubscriber } from './frame-subscriber.js';
import { frameLayout, PIXEL_FORMATS, planeViews, type FrameLayout, type PixelFormat } from './frame-format.js';
import { parseHandleOf } from './handle.js';
import { explainSpaceError } from './limits.js';
import { native, type FrameGeometry, type NativeFrameCore } from './native.js';
import { boolean, integerIn, options, string } from './validate.js';
import type { MapView } from './views.js';
import { registerWakeTarget, unregisterWakeTarget, type WakeKind } from './wake.js';

export type FramePolicy = 'latest' | 'queue';

/** @internal A slot's frame bytes, its planes, and its metadata bytes. */
export interface SlotViews {
  pixels: Uint8Array;
  planes: readonly Uint8Array[];
  meta: Uint8Array;
}
const POLICIES: readonly FramePolicy[] = ['latest', 'queue'];

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

export interface ChannelExportOptions {
  /** The first successful import uses the handle up. */
  once?: boolean;
  /** Only the process with this pid may import. */
  pid?: number;
}

/** Bytes after each frame in its slot, for the publisher's own metadata. */
export const FRAME_META_BYTES = 64;
const MAX_SLOTS = 64;
const MAX_PROCESSES = 64;

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

function geometryFor(layout: FrameLayout, slots: number, policy: FramePolicy, processes: number): FrameGeometry {
  const page = native().pageSize();
  const slotSize = roundUp(roundUp(layout.frameSize, 64) + FRAME_META_BYTES, page);
  return {
    width: layout.width,
    height: layout.height,
    format: PIXEL_FORMATS.indexOf(layout.format),
    policy: POLICIES.indexOf(policy),
    slots,
    endpoints: processes,
    frameSize: layout.frameSize,
    slotSize,
    slotsOffset: native().frameHeaderBytes(),
  };
}

export class FrameChannel {
  /** Width, height, format, stride and planes of every frame. */
  readonly layout: FrameLayout;
  readonly policy: FramePolicy;
  readonly slots: number;
  /** How many channel instances may use it at once. */
  readonly processes: number;
  #map: AnonMap;
  #core: NativeFrameCore | undefined;
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
    this.policy = POLICIES[geometry.policy]!;
    this.slots = geometry.slots;
    this.processes = geometry.endpoints;
    map.frameCore = core;
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
    const slots = given.slots === undefined ? 4 : integerIn('options.slots', given.slots, 2, MAX_SLOTS);
    const policy = (given.policy ?? 'latest') as FramePolicy;
    if (!POLICIES.includes(policy)) throw invalidValue('options.policy', `one of ${POLICIES.join(', ')}`, given.policy);
    const processes = given.processes === undefined ? 16 : integerIn('options.processes', given.processes, 1, MAX_PROCESSES);
    const geometry = geometryFor(layout, slots, policy, processes);
    const slotBytes = geometry.slotSize * slots;
    if (slotBytes > MAX_VIEW_LENGTH || geometry.slotsOffset + slotBytes > MAX_MAP_SIZE) {
      throw outOfRange('options.slots', `at most ${Math.floor(MAX_VIEW_LENGTH / geometry.slotSize)} slots of this frame size`, slots);
    }
    const map = AnonMap.create(geometry.slotsOffset + slotBytes, given.dir === undefined ? undefined : { dir: string('options.dir', given.dir) });
    try {
      try {
        map.file.allocate();
      } catch (error) {
        throw explainSpaceError(error, map.size);
      }
      const core = native().createFrameCore(map.file, geometry, map.size);
      return new FrameChannel(map, core, layout, geometry);
    } catch (error) {
      map.close();
      throw error;
    }
  }

  /** Opens, in this process, the channel behind a handle from exportHandle(). */
  static import(handle: string, importOptions?: ImportOptions): FrameChannel {
    const fields = parseHandleOf(handle, 'frames');
    const { file, description: got } = fetchHandle(fields, importOptions, false);
    let core: NativeFrameCore | undefined;
    try {
      if (got.companions === 0) {
        throw new ShmError('ERR_HANDLE_INVALID', 'The memory came without wake descriptors: it is not a frame channel');
      }
      if (got.size !== fields.size || fields.readOnly || got.readOnly) {
        throw new ShmError('ERR_HANDLE_INVALID', 'The memory received does not match the handle');
      }
      core = native().openFrameCore(file, got.size);
      const geometry = core.geometry();
      const layout = FrameChannel.#checkedLayout(geometry, got.size);
      return new FrameChannel(new AnonMap(file, got.size, false), core, layout, geometry);
    } catch (error) {
      core?.close();
      file.close();
      throw error;
    }
  }

  static #checkedLayout(geometry: FrameGeometry, mapSize: number): FrameLayout {
    const format = PIXEL_FORMATS[geometry.format];
    const policy = POLICIES[geometry.policy];
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

  /** A handle another process of this user opens with FrameChannel.import(). */
  exportHandle(exportOptions?: ChannelExportOptions): string {
    const given = options('options', exportOptions, ['once', 'pid']);
    this.#live();
    return this.#map.exportHandle({ once: boolean('options.once', given.once, false), ...(given.pid === undefined ? {} : { pid: given.pid as number }) });
  }

  /** Ends a handle: later imports of it fail with ERR_HANDLE_REVOKED. */
  revokeHandle(handle: string): boolean {
    this.#live();
    return this.#map.revokeHandle(handle);
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
    const metaStart = start + roundUp(this.#geometry.frameSize, 64);
    const pixels = view.bytes.subarray(start, start + this.#geometry.frameSize);
    return { pixels, planes: planeViews(this.layout, pixels), meta: view.bytes.subarray(metaStart, metaStart + FRAME_META_BYTES) };
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
