/**
 * The demo window's whole view of the main process: a few named calls and
 * one stream of figures. The preload (Electron) and the web host's
 * WebSocket bridge both carry exactly these, and both dispatch to
 * bridgeHandlers(). Types only (and the list of calls), so that the
 * renderer's scripts are checked against them too.
 */
import type { AnalyzerReport, FrameSource, ResolutionName } from './protocol.js';

/** A scaled-down copy of the newest frame: the only pixels the renderer gets. */
export interface Preview {
  width: number;
  height: number;
  /** RGBA, packed rows. */
  pixels: Uint8Array;
  frameNumber: number;
  source: FrameSource;
}

export type ProcessState = 'starting' | 'running' | 'stopping' | 'stopped' | 'ended';

/** An analyzer's last report, and what the main process makes of its reports. */
export interface AnalyzerStats extends Omit<AnalyzerReport, 'type' | 'latenciesUs'> {
  /** 1, 2, 3… in the order they were started. */
  id: number;
  pid: number | null;
  state: ProcessState;
  /** Why it ended, when it ended without being asked to. */
  endReason: string | null;
  receivedPerSecond: number;
  latencyMedianUs: number | null;
  latencyP99Us: number | null;
}

export interface DemoStats {
  settings: {
    resolution: ResolutionName;
    width: number;
    height: number;
    fps: number;
    paused: boolean;
    source: FrameSource;
    /** The channel's frame size in bytes. */
    frameBytes: number;
    /** What the workers are: Electron utility processes, or Node child processes (web host). */
    processKind: 'utility' | 'node';
  };
  producer: {
    pid: number | null;
    state: ProcessState;
    endReason: string | null;
    produced: number;
    producedPerSecond: number;
    stalls: number;
  };
  analyzers: AnalyzerStats[];
  totals: {
    producedPerSecond: number;
    /** Frames received per second by all running analyzers together. */
    consumedPerSecond: number;
    latencyMedianUs: number | null;
    latencyP99Us: number | null;
    /** Frames the analyzers skipped, summed. */
    dropped: number;
    integrityErrors: number;
    /** Frame bytes the analyzers read in place per second: shared, not copied. */
    sharedMBPerSecond: number;
    /** Previews sent to the window per second, and their bytes: copied. */
    previewsPerSecond: number;
    previewMBPerSecond: number;
  };
}

/** What the page sees as `window.demo`. */
export interface DemoBridge {
  stats(): Promise<DemoStats>;
  setResolution(name: ResolutionName): Promise<void>;
  setFps(fps: number): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
  /** Resolves to the new analyzer's pid. */
  addAnalyzer(): Promise<number | null>;
  /** Stops the newest running analyzer; resolves to its pid, or null if none runs. */
  removeAnalyzer(): Promise<number | null>;
  /** The newest frame's preview, or null when no frame came since the last call. */
  nextPreview(): Promise<Preview | null>;
  /** Calls `listener` with fresh figures twice a second. */
  onStats(listener: (stats: DemoStats) => void): void;
}

export type BridgeCall = Exclude<keyof DemoBridge, 'onStats'>;

/**
 * How a call's outcome crosses either bridge. The page's side turns an
 * error into an Error with this code and message.
 */
export type BridgeReply = { value: unknown } | { error: { code: string; message: string } };
export const BRIDGE_CALLS: readonly BridgeCall[] = ['stats', 'setResolution', 'setFps', 'setPaused', 'addAnalyzer', 'removeAnalyzer', 'nextPreview'];

