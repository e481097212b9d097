/**
 * FrameSubscriber and Frame: the reading side of a frame channel. A frame
 * is a lease on a slot: the publisher does not write into it until
 * release().
 */
import { ShmError } from './errors.js';
import type { FrameChannel } from './frame-channel.js';
import type { PixelFormat } from './frame-format.js';
import { frameConstants, type NativeFrameCore } from './native.js';
import { options } from './validate.js';
import { checkWaitOptions, Waiters, type WaitOptions } from './waiters.js';
import { RECHECK_MS } from './wake.js';

/** A received frame. Its bytes are the publisher's, not a copy; read-only. */
export class Frame {
  readonly sequence: number;
  /** As the publisher sent it: ns of process.hrtime.bigint(). */
  readonly timestamp: bigint;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly stride: number;
  #pixels: Uint8Array;
  #planes: readonly Uint8Array[];
  #meta: Uint8Array;
  #release: (() => void) | undefined;

  /** @internal */
  constructor(channel: FrameChannel, slot: number, sequence: number, timestamp: bigint, release: () => void) {
    const bytes = channel.slotBytes(slot, false);
    this.sequence = sequence;
    this.timestamp = timestamp;
    this.width = channel.width;
    this.height = channel.height;
    this.format = channel.format;
    this.stride = channel.stride;
    this.#pixels = bytes.pixels;
    this.#planes = bytes.planes;
    this.#meta = bytes.meta;
    this.#release = release;
  }

  /** The frame's bytes. Writing into them kills the process (they are mapped read-only). */
  get pixels(): Uint8Array {
    this.#held();
    return this.#pixels;
  }

  /** One view per plane: [rgba] or [bgra]; [y, uv] for nv12; [y, u, v] for i420. */
  get planes(): readonly Uint8Array[] {
    this.#held();
    return this.#planes;
  }

  /** The 64 bytes the publisher sent with the frame. */
  get meta(): Uint8Array {
    this.#held();
    return this.#meta;
  }

  get released(): boolean {
    return this.#release === undefined;
  }

  /**
   * Ends the lease: the publisher may write into the slot from now on, so
   * views kept from `pixels` may change under you. Releasing twice does
   * nothing.
   */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  #held(): void {
    if (this.#release === undefined) {
      throw new ShmError('ERR_FRAME_RELEASED', `Frame ${this.sequence} was released: its slot may hold another frame now`);
    }
  }
}

export class FrameSubscriber {
  readonly #channel: FrameChannel;
  #core: NativeFrameCore | undefined;
  readonly #index: number;
  readonly #waiting = new Waiters<Frame>();
  readonly #held = new Set<Frame>();
  #recheckTimer: NodeJS.Timeout | undefined;
  #skipped = 0;

  /** @internal */
  constructor(channel: FrameChannel, core: NativeFrameCore, index: number) {
    this.#channel = channel;
    this.#core = core;
    this.#index = index;
  }

  get closed(): boolean {
    return this.#core === undefined;
  }

  /** Frames held now (received and not released). */
  get held(): number {
    return this.#held.size;
  }

  /**
   * 'queue' only: frames lost before they were received. Always 0 unless a
   * process broke the protocol (for example by writing into the header).
   */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * The next frame, if one is there: under 'latest' the newest frame not
   * yet received (the first call gives the newest frame sent so far), under
   * 'queue' the next in order (from the first frame sent after subscribing).
   * Null when there is nothing new.
   */
  tryReceive(): Frame | null {
    const core = this.#live();
    const got = core.receive(this.#index);
    if (got === null) return null;
    this.#skipped += got.skipped;
    const frame: Frame = new Frame(this.#channel, got.slot, got.sequence, got.timestamp, () => {
      this.#held.delete(frame);
      this.#core?.releaseLease(this.#index, got.slot);
    });
    this.#held.add(frame);
    return frame;
  }

  /**
   * Waits for the next frame (as tryReceive). Rejects with ETIMEDOUT after
   * `timeoutMs`, an AbortError when `signal` aborts, ERR_PUBLISHER_GONE when
   * the publisher closes or its process ends, ERR_CLOSED when this
   * subscriber closes.
   */
  next(waitOptions?: WaitOptions): Promise<Frame> {
    let wait: WaitOptions;
    try {
      wait = checkWaitOptions(options('options', waitOptions, ['timeoutMs', 'signal']));
      const frame = this.tryReceive();
      if (frame !== null) return Promise.resolve(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = this.#waiting.add(wait, `No frame within ${wait.timeoutMs} ms`);
    // The waits keep the process alive, not this timer.
    this.#recheckTimer ??= setInterval(() => this.service(), RECHECK_MS.next).unref();
    // Serves the wait at once if the publisher is already gone.
    this.service();
    return promise;
  }

  /**
   * Every frame, as next() gives them. Each frame is released when the loop
   * asks for the next one or ends. The loop ends when this subscriber
   * closes or the publisher closes; it throws ERR_PUBLISHER_GONE if the
   * publisher's process ends without closing.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame, void, undefined> {
    let previous: Frame | undefined;
    try {
      for (;;) {
        previous?.release();
        let frame: Frame;
        try {
          frame = await this.next();
        } catch (error) {
          const publisherClosed = (error as ShmError).code === 'ERR_PUBLISHER_GONE' && this.#core?.publisherState() === 'closed';
          if (this.closed || publisherClosed) return;
          throw error;
        }
        previous = frame;
        yield frame;
      }
    } finally {
      previous?.release();
    }
  }

  /**
   * Releases every frame held, rejects waits with ERR_CLOSED and leaves the
   * channel. Closing twice does nothing.
   */
  close(): void {
    const core = this.#core;
    if (core === undefined) return;
    for (const frame of [...this.#held]) frame.release();
    this.#core = undefined;
    this.#stopRechecking();
    this.#waiting.rejectAll(new ShmError('ERR_CLOSED', 'The subscriber was closed'));
    core.removeSubscriber(this.#index);
    this.#channel.forgetSubscriber(this);
  }

  /** @internal Woken: hand frames to waits, or learn that the publisher is gone. */
  service(): void {
    if (this.#core === undefined) return;
    if (this.#waiting.size === 0) {
      this.#stopRechecking();
      return;
    }
    try {
      this.#drain();
      if (this.#waiting.size === 0) return;
      const gone = this.#publisherGone();
      if (gone !== null) {
        // The publisher may have sent a last frame and closed after the
        // drain above: what it sent before closing is there now.
        this.#drain();
        this.#waiting.rejectAll(gone);
        this.#stopRechecking();
        return;
      }
      // Armed first, then looked again: a frame sent in between is either
      // seen now or wakes us (the publisher reads the request after it sends).
      this.#core.arm(frameConstants().wakeForFrames);
      this.#drain();
    } catch (error) {
      this.#waiting.rejectAll(error);
    }
  }

  #stopRechecking(): void {
    if (this.#recheckTimer !== undefined) clearInterval(this.#recheckTimer);
    this.#recheckTimer = undefined;
  }

  #drain(): void {
    while (this.#waiting.size > 0) {
      const frame = this.tryReceive();
      if (frame === null) return;
      this.#waiting.resolveNext(frame);
    }
  }

  #publisherGone(): ShmError | null {
    const state = this.#live().publisherState(this.#channel.publisherWatchToken);
    if (state === 'closed') return new ShmError('ERR_PUBLISHER_GONE', 'The publisher closed the channel');
    if (state === 'crashed') return new ShmError('ERR_PUBLISHER_GONE', "The publisher's process ended without closing the channel");
    return null;
  }

  #live(): NativeFrameCore {
    if (this.#core === undefined) throw new ShmError('ERR_CLOSED', 'The subscriber is closed');
    return this.#core;
  }
}
