/**
 * What the producer and the analyzers do alike, as processes started by
 * the demo's main process: talk to it, give up with a reason, and open the
 * channels it hands them.
 */
import { FrameChannel, utilityParent, type ShmError } from 'electron-shm';
import type { WorkerCommand, WorkerMessage } from './protocol.js';

const parent = utilityParent();

// A utility process ends with its Electron app. A Node child process only
// loses its channel when its parent dies: end it too, rather than go on
// producing for nobody.
process.on('disconnect', () => process.exit(0));

export function post(message: WorkerMessage): void {
  parent.postMessage(message);
}

export function onCommand(handler: (command: WorkerCommand) => void): void {
  parent.on('message', handler);
}

/** Tells the main process why this worker cannot go on, and exits (code 1). */
export function fail(message: string): never {
  post({ type: 'failure', message });
  process.exit(1);
}

/**
 * Opens the channel behind `handle`, or returns undefined when the main
 * process closed it before this worker got to it: two resolution changes
 * in quick succession, and the next handle is already on its way.
 */
export function openChannel(role: string, handle: string): FrameChannel | undefined {
  try {
    return FrameChannel.import(handle);
  } catch (error) {
    if ((error as ShmError).code !== 'ERR_HANDLE_REVOKED') fail(`The ${role} could not open the channel: ${(error as Error).message}`);
    console.warn(`${role}: skipped a channel closed before it was opened`);
    return undefined;
  }
}
