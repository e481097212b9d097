/**
 * What the demo's processes say to each other: the messages between the
 * main process and its producer and analyzers, and what a frame's 64
 * metadata bytes carry.
 */

export const RESOLUTIONS = {
  '640x360': { width: 640, height: 360 },
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
  '4k': { width: 3840, height: 2160 },
} as const;
export type ResolutionName = keyof typeof RESOLUTIONS;
export const RESOLUTION_NAMES = Object.keys(RESOLUTIONS) as ResolutionName[];

export const MIN_FPS = 1;
export const MAX_FPS = 120;

/** Main → producer or analyzer. */
export type WorkerCommand =
  | { type: 'channel'; handle: string }
  | { type: 'fps'; fps: number }
  | { type: 'paused'; paused: boolean }
  | { type: 'stop' };

/** Producer → main, four times a second and on a change. */
export interface ProducerReport {
  type: 'producer';
  /** Frames sent since the producer started, over every channel. */
  produced: number;
  /** Ticks at which no slot was free (every slot leased by a reader). */
  stalls: number;
  width: number;
  height: number;
  source: FrameSource;
}

/** Analyzer → main, four times a second. Counts are since it started. */
export interface AnalyzerReport {
  type: 'analyzer';
  received: number;
  /** Frames the publisher sent that this analyzer never saw (latest policy). */
  skipped: number;
  /** Frames whose frame number and checksum were checked (pattern frames). */
  checked: number;
  integrityErrors: number;
  lastIntegrityError: string | null;
  /** Size of the last frame received. */
  width: number;
  height: number;
  /** Publish-to-receive latency of each frame since the last report, µs. */
  latenciesUs: number[];
  /** Luma histogram of the last frame, 16 bins, fractions of the pixels. */
  histogram: number[];
  /** Mean absolute luma change from the previous frame, 0 to 1. */
  motion: number;
}

/** A worker that cannot go on says why, then exits. */
export interface WorkerFailure {
  type: 'failure';
  message: string;
}

export type WorkerMessage = ProducerReport | AnalyzerReport | WorkerFailure;

export type FrameSource = 'pattern' | 'video';

/** Frame metadata: u32 source code, u32 frame number (little-endian). */
const SOURCE_CODES: readonly FrameSource[] = ['pattern', 'video'];

export function writeFrameMeta(meta: Uint8Array, source: FrameSource, frameNumber: number): void {
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  view.setUint32(0, SOURCE_CODES.indexOf(source), true);
  view.setUint32(4, frameNumber >>> 0, true);
}

export function readFrameMeta(meta: Uint8Array): { source: FrameSource; frameNumber: number } {
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  return { source: SOURCE_CODES[view.getUint32(0, true)] ?? 'video', frameNumber: view.getUint32(4, true) };
}
