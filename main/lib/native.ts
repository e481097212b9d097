/**
 * Loads the native addon, once, in a process allowed to have it, and gives
 * its functions types. Nothing else in main/lib touches `require` of the addon.
 */
import * as fs from 'node:fs';
import { addonCandidates } from './addon-location.js';
import { ShmError } from './errors.js';
import type { FramePolicy } from './frame-channel.js';
import type { SegmentStatus } from './sysv-segment.js';

export interface FileDescription {
  size: number;
  readOnly: boolean;
  /** memfd memory, which takes seals (else a file of a file system). */
  memfd: boolean;
  /** No new writable mapping of it can be made (F_SEAL_FUTURE_WRITE). */
  writeSealed: boolean;
  /** Its seals are final (F_SEAL_SEAL): it has been shared. */
  sealsFinal: boolean;
  /** Nobody can make it smaller (F_SEAL_SHRINK). */
  shrinkSealed: boolean;
  /** Nobody can make it larger (F_SEAL_GROW). */
  growSealed: boolean;
  /** Descriptors that arrived with it from an exporter (a frame channel's wake sockets). */
  companions: number;
}

/** One open descriptor of shared memory (native/binding/file_wrap.h). */
export interface NativeFile {
  readonly fd: number;
  describe(): FileDescription;
  /** Seals the seals (F_SEAL_SEAL), and when `readOnly` first every new writable mapping (F_SEAL_FUTURE_WRITE). */
  sealForSharing(readOnly: boolean): void;
  reopenReadOnly(): NativeFile;
  /** Places [offset, offset + length) of the memory at the first page boundary inside `target`'s buffer. */
  map(target: Uint8Array, offset: number, length: number, readOnly: boolean, populate: boolean): PlacedMapping;
  /** Gives every page its backing now: ENOSPC here, not a SIGBUS later. */
  allocate(): void;
  /** A resizable map's header (native/core/resizable.h): written, or read. */
  initResizable(size: number, span: number): ResizableHeader;
  /** `expectedSpan`: the span read when this process opened the map, 0 while it opens it. ERR_MAP_CORRUPT for a header the file or that span contradicts. */
  readResizable(expectedSpan: number): ResizableHeader;
  growResizable(wanted: number, span: number): number;
  close(): void;
}

/** What a resizable map's header says, and where its data starts in the memory. */
export interface ResizableHeader {
  size: number;
  span: number;
  dataOffset: number;
}

/** Shared pages inside a buffer that V8 owns (native/binding/mapping_js.h). */
export interface NativeMapping {
  /** Makes the pages private again; the buffer stays as it is. */
  unmap(): void;
  lock(): void;
  unlock(): void;
  /** Maps more of `file` right after the mapping, up to `length` bytes; the buffer must already be that long. */
  extend(file: NativeFile, length: number): void;
}

/** A mapping just placed, and where its bytes begin in the Uint8Array it was placed in. */
export interface PlacedMapping {
  mapping: NativeMapping;
  offset: number;
}

export interface ExportTicket {
  pid: number;
  nonce: string;
  id: bigint;
  secret: string;
}

/** Where a frame channel's parts are in its map (native/core/frame_channel.h). */
export interface FrameGeometry {
  width: number;
  height: number;
  format: number;
  policy: number;
  slots: number;
  endpoints: number;
  frameSize: number;
  slotSize: number;
  slotsOffset: number;
}

export interface ReceivedFrame {
  slot: number;
  sequence: number;
  timestamp: bigint;
  skipped: number;
}

export type PublisherState = 'none' | 'alive' | 'closed' | 'crashed';

/** The frame channel's constants, as native/core/frame_channel.h declares them. */
export interface FrameConstants {
  /** Bytes after each frame in its slot, for the publisher's metadata (kMetaBytes). */
  readonly metaBytes: number;
  readonly maxSlots: number;
  /** Most channel instances (processes) at once: endpoints (kMaxEndpoints). */
  readonly maxEndpoints: number;
  /** Bytes of the control header at the start of the map, a page multiple: where slot 0 may start. */
  readonly headerBytes: number;
  /** What an endpoint asks to be woken for (WakeRequest), for arm() and disarm(). */
  readonly wakeForFrames: number;
  readonly wakeForSpace: number;
  /** The policies, each at the index of its code (Policy). */
  readonly policies: readonly FramePolicy[];
}

/** One process's handle on a frame channel's protocol (native/binding/frame_js.h). */
export interface NativeFrameCore {
  geometry(): FrameGeometry;
  join(token: number): void;
  claimPublisher(): void;
  releasePublisher(): void;
  publisherState(watchToken?: number): PublisherState;
  addSubscriber(): number;
  removeSubscriber(subscriber: number): void;
  receive(subscriber: number): ReceivedFrame | null;
  releaseLease(subscriber: number, slot: number): void;
  loan(): { slot: number; sequence: number };
  send(slot: number, sequence: number, timestamp: bigint): void;
  abandon(slot: number, sequence: number): void;
  arm(requests: number): void;
  disarm(requests: number): void;
  reclaimDead(): number;
  close(): void;
}

/** shmctl(IPC_STAT) of a System V segment (native/core/sysv_shm.h): times in seconds, 0 for never. */
export type NativeSysvStatus = Omit<SegmentStatus, 'attachTime' | 'detachTime' | 'changeTime'> & {
  attachTime: number;
  detachTime: number;
  changeTime: number;
};

export interface Addon {
  setErrorClass(errorClass: typeof ShmError): void;
  pageSize(): number;
  /** Bytes from the start of `target` to its first page boundary, where shared pages are placed. */
  pageOffsetOf(target: Uint8Array): number;
  createAnonymousFile(size: number, dir: string, allowMemfd: boolean, growable: boolean): NativeFile;
  openNamed(name: string, size: number, create: boolean, exclusive: boolean, mode: number, readOnly: boolean): { file: NativeFile; created: boolean };
  unlinkNamed(name: string): void;
  adoptInherited(fd: number): NativeFile;
  exportFile(file: NativeFile, once: boolean, pid: number, frameCore?: NativeFrameCore): ExportTicket;
  revokeExport(id: bigint): boolean;
  fetchExport(pid: number, nonce: string, id: bigint, secret: string, timeoutMs: number): NativeFile;
  brokerState(): { running: boolean; liveExports: number; connections: number };
  createFrameCore(file: NativeFile, geometry: FrameGeometry, mapSize: number): NativeFrameCore;
  openFrameCore(file: NativeFile, mapSize: number): NativeFrameCore;
  readonly frameConstants: FrameConstants;
  /** A semaphore (native/core/semaphore.h): its eventfd, held as a NativeFile. */
  createSemaphore(initial: number): NativeFile;
  /** ERR_HANDLE_INVALID unless what an importer received is a semaphore, alone. */
  checkSemaphore(file: NativeFile): void;
  postSemaphore(file: NativeFile, count: number): void;
  tryTakeSemaphore(file: NativeFile): boolean;
  /** The wake handler gets `token` once when the count is above zero (at once if it is now); again only after another call. */
  watchSemaphore(file: NativeFile, token: number): void;
  unwatchSemaphore(file: NativeFile): void;
  setWakeHandler(handler: (tokens: number[]) => void): void;
  setWatcherActive(active: boolean): void;
  sysvKey(path: string, projectId: number): number;
  sysvOpen(key: number, size: number, create: boolean, exclusive: boolean, mode: number): { id: number; created: boolean };
  sysvStat(id: number): NativeSysvStatus;
  sysvRemove(id: number): void;
  sysvSetLocked(id: number, locked: boolean): void;
  sysvAttach(target: Uint8Array, id: number, size: number, readOnly: boolean): PlacedMapping;
}

function refuseRenderer(): void {
  // Electron sets process.type: 'browser' (main), 'utility', 'renderer', and
  // 'worker' for a web worker of a renderer.
  const type = (process as { type?: string }).type;
  if (type === 'renderer' || type === 'worker') {
    throw new ShmError(
      'ERR_RENDERER_PROCESS',
      `electron-shm cannot be loaded in an Electron ${type} process. Its native module belongs in the main ` +
        'process or in a utility process (utilityProcess.fork). Let the main process do the work, and give the ' +
        'page copies of what it needs through a preload script that relays with ipcRenderer and contextBridge.',
    );
  }
}

/** What loading each candidate came to, for ERR_NATIVE_MISSING. */
function missing(tried: string[]): ShmError {
  return new ShmError(
    'ERR_NATIVE_MISSING',
    `electron-shm's native module could not be loaded (${process.platform}-${process.arch}, Node-API 8). Tried:\n` +
      tried.map((line) => `- ${line}\n`).join('') +
      'Ways out:\n' +
      '- Install the package with its install script (not --ignore-scripts), or run `npm rebuild electron-shm`: ' +
      'it takes the prebuilt binary (Linux x64 and arm64, glibc 2.28 or later) or builds one from source.\n' +
      '- A build from source needs cmake, a C++17 compiler and libuv\'s headers (Debian: apt-get install cmake g++ libuv1-dev).\n' +
      '- In a packed Electron app, unpack the binaries from app.asar (asarUnpack; see docs/packaging.md).\n' +
      '- electron-shm runs on Linux only, in Node.js 20 or later and Electron\'s main and utility processes.',
  );
}

let addon: Addon | undefined;

export function native(): Addon {
  if (addon === undefined) {
    refuseRenderer();
    const tried: string[] = [];
    for (const file of addonCandidates(__dirname, process.platform, process.arch)) {
      if (!fs.existsSync(file)) {
        tried.push(`${file}: not there`);
        continue;
      }
      try {
        addon = require(file) as Addon;
        break;
      } catch (error) {
        // A binary of another architecture, or one needing a newer glibc.
        tried.push(`${file}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    if (addon === undefined) throw missing(tried);
    addon.setErrorClass(ShmError);
  }
  return addon;
}

/**
 * The frame channel's constants, from the addon: read at use, never when
 * the package is imported, which must not load the addon.
 */
export function frameConstants(): FrameConstants {
  return native().frameConstants;
}

// Loading the module in a renderer fails at once, not at the first call.
refuseRenderer();
