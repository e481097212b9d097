/**
 * The demo's main-process side, the same under Electron and under the web
 * host: it owns the frame channel, starts the producer and the analyzers
 * with forkUtility() (utility processes in Electron, Node child processes
 * elsewhere), posts each of them a handle to the channel, gathers their
 * reports into figures, and makes the window's preview.
 *
 * A resolution change is a new channel: every process is posted a handle
 * to it and leaves the old one, whose memory the kernel frees when the last
 * process has closed it.
 */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { FrameChannel, forkUtility, ShmError, type FrameSubscriber, type UtilityChild } from 'electron-shm';
import type { AnalyzerStats, DemoStats, Preview, ProcessState } from './bridge-api.js';
import { scaledPreview } from './preview.js';
import {
  RESOLUTIONS,
  readFrameMeta,
  type AnalyzerReport,
  type FrameSource,
  type ProducerReport,
  type ResolutionName,
  type WorkerCommand,
  type WorkerMessage,
} from './protocol.js';
import { RateMeter, percentile } from './rates.js';

export interface DemoOptions {
  resolution: ResolutionName;
  fps: number;
  analyzers: number;
  /** A video file for the producer to decode with ffmpeg, instead of the test pattern. */
  video?: string | undefined;
}

/** Enough slots that analyzers holding one frame each never stall the producer. */
const SLOTS = 8;
export const MAX_ANALYZERS = 8;
const STATS_INTERVAL_MS = 500;
/** Latency figures cover the reports of the last second. */
const LATENCY_WINDOW_MS = 1000;
const STOP_GRACE_MS = 2000;

/** A worker process and what it last said. */
class Worker<Report> {
  readonly child: UtilityChild;
  state: ProcessState = 'starting';
  endReason: string | null = null;
  report: Report | undefined;
  readonly exited: Promise<void>;

  constructor(child: UtilityChild, onReport: (report: Report) => void) {
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code: number | null, signal: string | null) => {
        if (this.state !== 'stopping') this.endReason ??= signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
        this.state = this.state === 'stopping' ? 'stopped' : 'ended';
        resolve();
      });
    });
    child.on('error', (error: Error) => {
      this.endReason ??= error.message;
    });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'failure') {
        this.endReason = message.message;
        console.error(message.message);
        return;
      }
      if (this.state === 'starting') this.state = 'running';
      this.report = message as Report;
      onReport(message as Report);
    });
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  get alive(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  post(command: WorkerCommand): void {
    if (this.alive) this.child.postMessage(command);
  }

  /** Asks the worker to stop; kills it if it has not within the grace time. */
  async stop(): Promise<void> {
    if (!this.alive) return this.exited;
    this.post({ type: 'stop' });
    this.state = 'stopping';
    const timer = setTimeout(() => this.child.kill(), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

interface AnalyzerEntry {
  id: number;
  worker: Worker<AnalyzerReport>;
  rate: RateMeter;
  latencies: { at: number; values: number[] }[];
}

export class DemoPipeline extends EventEmitter {
  readonly #options: DemoOptions;
  readonly #workerDir = __dirname;
  readonly #workerExtension = path.extname(__filename);
  #resolution: ResolutionName;
  #fps: number;
  #paused = false;
  #channel: FrameChannel;
  #preview: FrameSubscriber;
  #producer: Worker<ProducerReport>;
  readonly #producerRate = new RateMeter();
  readonly #analyzers: AnalyzerEntry[] = [];
  #nextAnalyzerId = 1;
  readonly #previewRate = new RateMeter();
  readonly #previewByteRate = new RateMeter();
  #previewsSent = 0;
  #previewBytes = 0;
  readonly #statsTimer: NodeJS.Timeout;
  readonly #startedPids = new Set<number>();
  #closed = false;

  constructor(options: DemoOptions) {
    super();
    this.#options = options;
    this.#resolution = options.resolution;
    this.#fps = options.fps;
    this.#channel = this.#createChannel();
    this.#preview = this.#channel.subscriber();
    this.#producer = this.#startProducer();
    for (let i = 0; i < options.analyzers; i++) this.addAnalyzer();
    this.#statsTimer = setInterval(() => this.emit('stats', this.stats()), STATS_INTERVAL_MS);
  }

  get source(): FrameSource {
    return this.#options.video === undefined ? 'pattern' : 'video';
  }

  #createChannel(): FrameChannel {
    const { width, height } = RESOLUTIONS[this.#resolution];
    return FrameChannel.create({ width, height, format: 'rgba', slots: SLOTS, policy: 'latest', processes: MAX_ANALYZERS + 2 });
  }

  #fork<Report>(name: string, args: string[], onReport: (report: Report) => void): Worker<Report> {
    const child = forkUtility(path.join(this.#workerDir, name + this.#workerExtension), args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      serviceName: `electron-shm demo ${name}`,
    });
    const worker = new Worker<Report>(child, onReport);
    // A handle is bound to the pid it is for, which a utility process has
    // only once it has spawned.
    child.once('spawn', () => {
      this.#startedPids.add(worker.pid!);
      this.emit('worker', name, worker.pid);
      worker.post(this.#channelCommand(worker));
    });
    return worker;
  }

  #channelCommand(worker: Worker<unknown>): WorkerCommand {
    return { type: 'channel', handle: this.#channel.exportHandle({ once: true, pid: worker.pid! }) };
  }

  #startProducer(): Worker<ProducerReport> {
    const args = ['--fps', String(this.#fps), ...(this.#options.video === undefined ? [] : ['--video', this.#options.video])];
    return this.#fork<ProducerReport>('producer', args, (report) => this.#producerRate.add(report.produced));
  }

  /** Starts one more analyzer; resolves to its pid. */
  addAnalyzer(): number | null {
    this.#live();
    if (this.#runningAnalyzers().length >= MAX_ANALYZERS) {
      throw Object.assign(new RangeError(`At most ${MAX_ANALYZERS} analyzers run at once`), { code: 'ERR_ANALYZER_LIMIT' });
    }
    const entry: AnalyzerEntry = {
      id: this.#nextAnalyzerId++,
      worker: undefined as unknown as Worker<AnalyzerReport>,
      rate: new RateMeter(),
      latencies: [],
    };
    entry.worker = this.#fork<AnalyzerReport>('analyzer', [], (report) => {
      entry.rate.add(report.received);
      entry.latencies.push({ at: performance.now(), values: report.latenciesUs });
    });
    // A stopped analyzer leaves the list; one that ended on its own stays, to be seen.
    void entry.worker.exited.then(() => {
      if (entry.worker.state === 'stopped') this.#analyzers.splice(this.#analyzers.indexOf(entry), 1);
    });
    this.#analyzers.push(entry);
    return entry.worker.pid;
  }

  /** Stops the newest running analyzer; its pid, or null if none runs. */
  async removeAnalyzer(): Promise<number | null> {
    this.#live();
    const entry = this.#runningAnalyzers().at(-1);
    if (entry === undefined) return null;
    await entry.worker.stop();
    return entry.worker.pid;
  }

  setResolution(resolution: ResolutionName): void {
    this.#live();
    if (resolution === this.#resolution) return;
    const old = this.#channel;
    this.#preview.close();
    this.#resolution = resolution;
    this.#channel = this.#createChannel();
    this.#preview = this.#channel.subscriber();
    for (const worker of this.#workers()) worker.post(this.#channelCommand(worker));
    old.close();
  }

  setFps(fps: number): void {
    this.#live();
    this.#fps = fps;
    this.#producer.post({ type: 'fps', fps });
  }

  setPaused(paused: boolean): void {
    this.#live();
    this.#paused = paused;
    this.#producer.post({ type: 'paused', paused });
  }

  /** A scaled copy of the newest frame, or null when none came since the last call. */
  nextPreview(): Preview | null {
    this.#live();
    const frame = this.#preview.tryReceive();
    if (frame === null) return null;
    try {
      const { source, frameNumber } = readFrameMeta(frame.meta);
      const scaled = scaledPreview(frame.pixels, frame.width, frame.height);
      this.#previewsSent++;
      this.#previewBytes += scaled.pixels.byteLength;
      this.#previewRate.add(this.#previewsSent);
      this.#previewByteRate.add(this.#previewBytes);
      return { ...scaled, frameNumber, source };
    } finally {
      frame.release();
    }
  }

  #runningAnalyzers(): AnalyzerEntry[] {
    return this.#analyzers.filter((entry) => entry.worker.alive);
  }

  #workers(): Worker<unknown>[] {
    return [this.#producer, ...this.#analyzers.map((a) => a.worker)];
  }

  /** The figures the window shows. */
  stats(): DemoStats {
    const now = performance.now();
    const latencies = this.#analyzers.map((entry) => recentLatencies(entry, now).sort((a, b) => a - b));
    const analyzers = this.#analyzers.map((entry, i) => this.#analyzerStats(entry, latencies[i]!, now));
    const running = analyzers.filter((a) => a.state === 'running');
    const allLatencies = latencies.flat().sort((a, b) => a - b);
    const { width, height } = RESOLUTIONS[this.#resolution];
    const frameBytes = this.#channel.frameSize;
    const consumedPerSecond = sum(running.map((a) => a.receivedPerSecond));
    const producedPerSecond = this.#producerRate.perSecond(now);
    const producer = this.#producer;
    return {
      settings: {
        resolution: this.#resolution,
        width,
        height,
        fps: this.#fps,
        paused: this.#paused,
        source: this.source,
        frameBytes,
        processKind: producer.child.kind,
      },
      producer: {
        pid: producer.pid,
        state: producer.state,
        endReason: producer.endReason,
        produced: producer.report?.produced ?? 0,
        producedPerSecond,
        stalls: producer.report?.stalls ?? 0,
      },
      analyzers,
      totals: {
        producedPerSecond,
        consumedPerSecond,
        latencyMedianUs: percentile(allLatencies, 0.5),
        latencyP99Us: percentile(allLatencies, 0.99),
        dropped: sum(analyzers.map((a) => a.skipped)),
        integrityErrors: sum(analyzers.map((a) => a.integrityErrors)),
        sharedMBPerSecond: (consumedPerSecond * frameBytes) / 1e6,
        previewsPerSecond: this.#previewRate.perSecond(now),
        previewMBPerSecond: this.#previewByteRate.perSecond(now) / 1e6,
      },
    };
  }

  /** `latencies`: the analyzer's recent ones, sorted. */
  #analyzerStats(entry: AnalyzerEntry, latencies: number[], now: number): AnalyzerStats {
    const { worker } = entry;
    const report = worker.report;
    return {
      id: entry.id,
      pid: worker.pid,
      state: worker.state,
      endReason: worker.endReason,
      received: report?.received ?? 0,
      receivedPerSecond: worker.alive ? entry.rate.perSecond(now) : 0,
      skipped: report?.skipped ?? 0,
      checked: report?.checked ?? 0,
      integrityErrors: report?.integrityErrors ?? 0,
      lastIntegrityError: report?.lastIntegrityError ?? null,
      width: report?.width ?? 0,
      height: report?.height ?? 0,
      histogram: report?.histogram ?? [],
      motion: report?.motion ?? 0,
      latencyMedianUs: percentile(latencies, 0.5),
      latencyP99Us: percentile(latencies, 0.99),
    };
  }

  /** Stops every worker (killing those that do not stop in time) and closes the channel. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#statsTimer);
    await Promise.all(this.#workers().map((worker) => worker.stop()));
    this.#preview.close();
    this.#channel.close();
  }

  /** Pids of every worker process ever started, for a caller that checks they are gone. */
  get startedPids(): number[] {
    return [...this.#startedPids];
  }

  #live(): void {
    if (this.#closed) throw new ShmError('ERR_CLOSED', 'The demo pipeline is closed');
  }
}

function recentLatencies(entry: AnalyzerEntry, now: number): number[] {
  while (entry.latencies.length > 0 && now - entry.latencies[0]!.at > LATENCY_WINDOW_MS) entry.latencies.shift();
  return entry.latencies.flatMap((batch) => batch.values);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
