/**
 * Semaphore: a counting semaphore between processes, handed over as maps
 * are (by handle string, or by inheritance at spawn). It is a Linux eventfd
 * in semaphore mode (native/core/semaphore.h): the kernel keeps the count,
 * so no post is lost and no process can tear it. A wait is served in the
 * waiter's own event loop: the process's wake watcher reports the eventfd
 * readable (one hop, no thread, no polling), and the wait takes one.
 */
import type { ExportOptions } from './anon-map.js';
import { ShmError } from './errors.js';
import { ExportBook, exportPolicy } from './export-book.js';
import { receiveHandle } from './handle-import.js';
import { native, type NativeFile } from './native.js';
import { integerIn, options } from './validate.js';
import { checkWaitOptions, Waiters, type WaitOptions } from './waiters.js';
import { registerWakeTarget, unregisterWakeTarget } from './wake.js';

/** The largest initial count and the largest single post: eventfd's initial value is 32-bit. */
export const MAX_SEMAPHORE_POST = 2 ** 32 - 1;

export interface SemaphoreOptions {
  /** The count it starts with, 0 to 2³² − 1. Default 0. */
  initial?: number;
}

/** `once` and `pid`, as for a map: a semaphore is shared read-write only. */
export type SemaphoreExportOptions = Omit<ExportOptions, 'readOnly'>;

export interface SemaphoreImportOptions {
  /** The longest the import may take, connecting included. Default 5000. */
  timeoutMs?: number;
}

export class Semaphore {
  #file: NativeFile | undefined;
  readonly #exports = new ExportBook('semaphore', 'this semaphore');
  readonly #waiting = new Waiters<void>();
  /** Registered with the wake watcher while waits are queued (so that an idle semaphore can be collected). */
  #wake: { id: number; token: number } | undefined;

  /** @internal */
  constructor(file: NativeFile) {
    this.#file = file;
  }

  /** A new semaphore of this process, with a count of `initial`. */
  static create(semaphoreOptions?: SemaphoreOptions): Semaphore {
    const given = options('options', semaphoreOptions, ['initial']);
    const initial = given.initial === undefined ? 0 : integerIn('options.initial', given.initial, 0, MAX_SEMAPHORE_POST);
    return new Semaphore(native().createSemaphore(initial));
  }

  /**
   * Opens, in this process, the semaphore behind a handle from
   * exportHandle(). ERR_HANDLE_INVALID for a handle of memory, or for
   * anything the exporter sent that is not a semaphore.
   */
  static import(handle: string, importOptions?: SemaphoreImportOptions): Semaphore {
    return new Semaphore(receiveHandle(handle, 'semaphore', importOptions).file);
  }

  get closed(): boolean {
    return this.#file === undefined;
  }

  /** @internal The eventfd, for a child that inherits it (spawnWithMaps). */
  get file(): NativeFile {
    return this.#open();
  }

  #open(): NativeFile {
    if (this.#file === undefined) throw new ShmError('ERR_CLOSED', 'The semaphore is closed');
    return this.#file;
  }

  /**
   * A handle string that lets another process of this user open the
   * semaphore with Semaphore.import(), while this one is open and the
   * handle not revoked.
   */
  exportHandle(exportOptions?: SemaphoreExportOptions): string {
    const { once, pid } = exportPolicy(options('options', exportOptions, ['once', 'pid']));
    return this.#exports.record(native().exportFile(this.#open(), once, pid), 0, false);
  }

  /** Ends a handle this semaphore exported; false if it had already ended. */
  revokeHandle(handle: string): boolean {
    return this.#exports.revoke(handle);
  }

  /**
   * Adds `count` to the count, waking waiters in every process. EOVERFLOW,
   * and nothing added, if the count would pass 2⁶⁴ − 2.
   */
  post(count = 1): void {
    integerIn('count', count, 1, MAX_SEMAPHORE_POST);
    native().postSemaphore(this.#open(), count);
  }

  /** Takes one if the count is above zero; never waits. */
  tryWait(): boolean {
    return native().tryTakeSemaphore(this.#open());
  }

  /**
   * Takes one, waiting for a post if the count is zero. Waits of this
   * process are served in the order they began. Rejects with ETIMEDOUT
   * after `timeoutMs`, an AbortError when `signal` aborts, ERR_CLOSED when
   * this semaphore closes; a wait that rejects took nothing.
   */
  wait(waitOptions?: WaitOptions): Promise<void> {
    let wait: WaitOptions;
    try {
      wait = checkWaitOptions(options('options', waitOptions, ['timeoutMs', 'signal']));
      if (this.#waiting.size === 0 && this.tryWait()) return Promise.resolve();
      this.#open();
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = this.#waiting.add(wait, `The semaphore was not posted within ${wait.timeoutMs} ms`);
    this.#serve(this.#file!, false);
    return promise;
  }

  /**
   * Takes for the queued waits, in order, while the count lasts (`take`:
   * the watcher said it is above zero), then watches for the next post if
   * some still wait: the watch reports a count above zero at once, so no
   * post made in between is missed. A failure fails every wait: none
   * would be woken.
   */
  #serve(file: NativeFile, take: boolean): void {
    try {
      while (take && this.#waiting.size > 0 && native().tryTakeSemaphore(file)) this.#waiting.resolveNext(undefined);
      if (this.#waiting.size === 0) {
        this.#unwatch(file);
        return;
      }
      if (this.#wake === undefined) {
        const { id, wake } = registerWakeTarget(() => {
          if (this.#file !== undefined) this.#serve(this.#file, true);
        });
        this.#wake = { id, token: wake };
      }
      native().watchSemaphore(file, this.#wake.token);
    } catch (error) {
      this.#waiting.rejectAll(error);
      this.#unwatch(file);
    }
  }

  #unwatch(file: NativeFile): void {
    if (this.#wake === undefined) return;
    unregisterWakeTarget(this.#wake.id);
    this.#wake = undefined;
    native().unwatchSemaphore(file);
  }

  /** Revokes every handle, rejects every wait with ERR_CLOSED and closes the semaphore. */
  close(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#exports.revokeAll();
    this.#waiting.rejectAll(new ShmError('ERR_CLOSED', 'The semaphore was closed while waiting'));
    this.#unwatch(file);
    file.close();
    this.#file = undefined;
  }
}
