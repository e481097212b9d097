/**
 * FramePublisher and Sample: the writing side of a frame channel. A sample
 * is a loaned slot whose pixels are written in place, then sent or dropped.
 */
import { ShmError, invalidType, outOfRange } from './errors.js';
import type { FrameChannel } from './frame-channel.js';
import { frameConstants, type NativeFrameCore } from './native.js';
import { boolean, options } from './validate.js';
import { checkWaitOptions, Waiters, type WaitOptions } from './waiters.js';
import { RECHECK_MS } from './wake.js';

const MAX_TIMESTAMP = 2n ** 64n - 1n;

export interface LoanOptions extends WaitOptions {
  /** Wait for a free slot (a Promise) instead of throwing ERR_NO_FREE_SLOT. */
  wait: true;
}

export interface SendOptions {
  /** When the frame was made, in ns of process.hrtime.bigint() (CLOCK_MONOTONIC, the same in every process). Default: now. */
  timestamp?: bigint;
}

type SampleState = 'loaned' | 'sent' | 'dropped';

/** @internal What a sample asks of the publisher that loaned it when it ends (once per sample). */
interface LoanEnd {
  /** ERR_CLOSED once the publisher is closed. */
  live(): void;
  /** Publishes the slot (throws only for a corrupt channel, after ending the loan). */
  send(slot: number, sequence: number, timestamp: bigint): void;
  /** Gives the slot back unsent. */
  drop(slot: number, sequence: number): void;
}

/** A loaned slot: write `pixels` (and `meta`), then send() or drop(). */
export class Sample {
  /** The sequence number the frame will have. */
  readonly sequence: number;
  /** The frame's bytes, in the channel's layout; written in place. */
  readonly pixels: Uint8Array;
  /** One view per plane: [rgba] or [bgra]; [y, uv] for nv12; [y, u, v] for i420. */
  readonly planes: readonly Uint8Array[];
  /** 64 bytes that travel with the frame, for the application's own use. */
  readonly meta: Uint8Array;
  readonly #slot: number;
  readonly #end: LoanEnd;
  #state: SampleState = 'loaned';

  /** @internal */
  constructor(end: LoanEnd, channel: FrameChannel, slot: number, sequence: number) {
    const bytes = channel.slotBytes(slot, true);
    this.#end = end;
    this.#slot = slot;
    this.sequence = sequence;
    this.pixels = bytes.pixels;
    this.planes = bytes.planes;
    this.meta = bytes.meta;
  }

  /** Publishes the frame; the sample cannot be used afterwards. */
  send(sendOptions?: SendOptions): void {
    this.#loaned();
    const { timestamp = process.hrtime.bigint() } = options('options', sendOptions, ['timestamp']);
    if (typeof timestamp !== 'bigint') throw invalidType('options.timestamp', 'a bigint', timestamp);
    if (timestamp < 0n || timestamp > MAX_TIMESTAMP) throw outOfRange('options.timestamp', 'a bigint from 0 to 2^64 - 1', timestamp);
    // Ended whatever happens: a corrupt channel refuses the send and takes the slot back.
    this.#state = 'dropped';
    this.#end.send(this.#slot, this.sequence, timestamp);
    this.#state = 'sent';
  }

  /** Gives the slot back unsent. Dropping twice does nothing. */
  drop(): void {
    if (this.#state === 'dropped') return;
    this.#loaned();
    this.#end.drop(this.#slot, this.sequence);
    this.#state = 'dropped';
  }

  /** ERR_CLOSED with its publisher; ERR_SAMPLE_RELEASED once sent or dropped. */
  #loaned(): void {
    this.#end.live();
    if (this.#state !== 'loaned') throw new ShmError('ERR_SAMPLE_RELEASED', `The sample was already ${this.#state}: loan a new one`);
  }
}

export class FramePublisher {
  readonly #channel: FrameChannel;
  #core: NativeFrameCore | undefined;
  #loaned: Sample | undefined;
  readonly #waiting = new Waiters<Sample>();
  #recheckTimer: NodeJS.Timeout | undefined;
  #sent = 0;
  /** What every sample of this publisher asks of it when it ends. */
  readonly #loanEnd: LoanEnd = {
    live: () => void this.#live(),
    send: (slot, sequence, timestamp) => {
      this.#loaned = undefined;
      this.#live().send(slot, sequence, timestamp);
      this.#sent++;
    },
    drop: (slot, sequence) => {
      this.#live().abandon(slot, sequence);
      this.#loaned = undefined;
    },
  };

  /** @internal */
  constructor(channel: FrameChannel, core: NativeFrameCore) {
    this.#channel = channel;
    this.#core = core;
  }

  get closed(): boolean {
    return this.#core === undefined;
  }

  /** Frames sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /**
   * Loans the slot the next frame goes into. One loan at a time: send or
   * drop it before the next (ERR_LOAN_PENDING). When no slot is free
   * (subscribers hold them, or under 'queue' have not read them),
   * ERR_NO_FREE_SLOT, or with `{ wait: true }` a Promise that resolves when
   * one is.
   */
  loan(): Sample;
  loan(loanOptions: LoanOptions): Promise<Sample>;
  loan(loanOptions?: LoanOptions): Sample | Promise<Sample> {
    const given = options('options', loanOptions, ['wait', 'timeoutMs', 'signal']);
    const wait = boolean('options.wait', given.wait, false);
    if (!wait) {
      if (given.timeoutMs !== undefined || given.signal !== undefined) {
        throw invalidType('options.wait', 'true with timeoutMs or signal', given.wait);
      }
      return this.#loanNow();
    }
    let waitOptions: WaitOptions;
    try {
      waitOptions = checkWaitOptions(given);
      this.#live();
      if (this.#waiting.size > 0) throw this.#pendingError();
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      return Promise.resolve(this.#loanNow());
    } catch (error) {
      if ((error as ShmError).code !== 'ERR_NO_FREE_SLOT') return Promise.reject(error);
    }
    const promise = this.#waiting.add(waitOptions, `No slot became free within ${waitOptions.timeoutMs} ms`);
    // The waits keep the process alive, not this timer.
    this.#recheckTimer ??= setInterval(() => this.service(), RECHECK_MS.loan).unref();
    this.service();
    return promise;
  }

  /**
   * Gives up the channel: an unsent loan is dropped, a waiting loan rejects
   * with ERR_CLOSED, and subscribers waiting in any process reject with
   * ERR_PUBLISHER_GONE. Closing twice does nothing.
   */
  close(): void {
    const core = this.#core;
    if (core === undefined) return;
    this.#loaned?.drop();
    this.#core = undefined;
    this.#stopWaiting();
    this.#waiting.rejectAll(new ShmError('ERR_CLOSED', 'The publisher was closed'));
    core.releasePublisher();
    this.#channel.forgetPublisher();
  }

  /** @internal A subscriber released a slot, or time for a liveness check. */
  service(): void {
    if (this.#core === undefined || this.#waiting.size === 0) return;
    try {
      // Armed first, then looked: a slot freed in between wakes us.
      this.#core.arm(frameConstants().wakeForSpace);
      this.#waiting.resolveNext(this.#loanNow());
    } catch (error) {
      if ((error as ShmError).code !== 'ERR_NO_FREE_SLOT') this.#waiting.rejectAll(error);
    }
    if (this.#waiting.size === 0) this.#stopWaiting();
  }

  #loanNow(): Sample {
    const core = this.#live();
    if (this.#loaned !== undefined) throw this.#pendingError();
    const { slot, sequence } = core.loan();
    this.#loaned = new Sample(this.#loanEnd, this.#channel, slot, sequence);
    return this.#loaned;
  }

  #pendingError(): ShmError {
    return new ShmError('ERR_LOAN_PENDING', 'A sample is already loaned: send or drop it before loaning another');
  }

  #stopWaiting(): void {
    if (this.#recheckTimer !== undefined) clearInterval(this.#recheckTimer);
    this.#recheckTimer = undefined;
    this.#core?.disarm(frameConstants().wakeForSpace);
  }

  #live(): NativeFrameCore {
    if (this.#core === undefined) throw new ShmError('ERR_CLOSED', 'The publisher is closed');
    return this.#core;
  }
}
