/**
 * The process's side of cross-process wakes: the native watcher (one per
 * process, native/binding/watcher_js.h) reports tokens; this module hands
 * each to the frame channel that registered it, and keeps the event loop
 * alive exactly while something waits.
 */
import { native } from './native.js';

/**
 * A frame channel's waits also look again at these intervals, whatever
 * wakes them: a wake that never came (a peer broke the protocol by clearing
 * a request in the shared header) costs at most this long, and a corrupted
 * header is noticed within it. A waiting loan looks more often: it also
 * reclaims the slots of subscribers that died. A waiting next() looks
 * seldom enough to stay well under 1% of a core.
 */
export const RECHECK_MS = { loan: 100, next: 250 } as const;

/** What a frame channel is told: its wake socket was written, or its publisher exited. */
export type WakeKind = 'wake' | 'publisher';

const targets = new Map<number, (kind: WakeKind) => void>();
let nextTarget = 1;
let installed = false;
let waiting = 0;

function dispatch(tokens: number[]): void {
  for (const token of tokens) {
    targets.get(token >> 1)?.((token & 1) === 0 ? 'wake' : 'publisher');
  }
}

/**
 * Registers a receiver of wakes. Returns its tokens: `wake` for its wake
 * socket (a frame channel's) or eventfd (a semaphore's), `publisher` for
 * its publisher's pidfd.
 */
export function registerWakeTarget(onWake: (kind: WakeKind) => void): { id: number; wake: number; publisher: number } {
  if (!installed) {
    native().setWakeHandler(dispatch);
    installed = true;
  }
  const id = nextTarget++;
  targets.set(id, onWake);
  return { id, wake: id << 1, publisher: (id << 1) | 1 };
}

export function unregisterWakeTarget(id: number): void {
  targets.delete(id);
}

/** One more wait in progress: the watcher keeps the process alive. */
export function waitBegins(): void {
  if (waiting++ === 0) native().setWatcherActive(true);
}

export function waitEnds(): void {
  if (--waiting === 0) native().setWatcherActive(false);
}
