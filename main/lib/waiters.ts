/**
 * Pending waits (a subscriber's next(), a publisher's waiting loan): a FIFO
 * of promises, each with its own timeout and AbortSignal, that keep the
 * process alive while they wait.
 */
import { ShmError, invalidType } from './errors.js';
import { integerIn } from './validate.js';
import { waitBegins, waitEnds } from './wake.js';

export interface WaitOptions {
  /** Give up after this many milliseconds with ETIMEDOUT. Default: wait as long as it takes. */
  timeoutMs?: number;
  /** Give up when it aborts, with an AbortError (code ABORT_ERR). */
  signal?: AbortSignal;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function checkWaitOptions(given: { timeoutMs?: unknown; signal?: unknown }): WaitOptions {
  const out: WaitOptions = {};
  if (given.timeoutMs !== undefined) out.timeoutMs = integerIn('options.timeoutMs', given.timeoutMs, 0, MAX_TIMEOUT_MS);
  if (given.signal !== undefined) {
    if (!(given.signal instanceof AbortSignal)) throw invalidType('options.signal', 'an AbortSignal', given.signal);
    out.signal = given.signal;
  }
  return out;
}

/** Node's convention for an aborted operation. */
export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class Waiters<T> {
  readonly #queue: Pending<T>[] = [];

  get size(): number {
    return this.#queue.length;
  }

  /** A promise settled by resolveNext() / rejectAll(), or by its timeout or signal. */
  add(options: WaitOptions, timeoutMessage: string): Promise<T> {
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => settle(() => reject(abortError(signal!)));
      const entry: Pending<T> = {
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      };
      const settle = (finish: () => void) => {
        const at = this.#queue.indexOf(entry);
        if (at < 0) return;
        this.#queue.splice(at, 1);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        waitEnds();
        finish();
      };
      this.#queue.push(entry);
      waitBegins();
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => settle(() => reject(new ShmError('ETIMEDOUT', timeoutMessage))), timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Settles the oldest wait with `value`; false if none waits. */
  resolveNext(value: T): boolean {
    const first = this.#queue[0];
    if (first === undefined) return false;
    first.resolve(value);
    return true;
  }

  rejectAll(error: unknown): void {
    for (const entry of [...this.#queue]) entry.reject(error);
  }
}
