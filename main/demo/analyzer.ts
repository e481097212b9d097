/**
 * A demo analyzer (a utility process, or a Node child process under the
 * web host). It subscribes to the channel whose handle the main process
 * posts and, for every frame it receives, reads the pixels in place (no
 * copy): a luma histogram, a motion measure, and for pattern frames an
 * integrity check of the frame number and checksum drawn in the pixels.
 *
 * Main → analyzer: WorkerCommand. Analyzer → main: AnalyzerReport, or a
 * WorkerFailure before it exits.
 */
import type { Frame, FrameChannel, FrameSubscriber, ShmError } from 'electron-shm';
import { LumaAnalysis, type LumaFigures } from './luma-analysis.js';
import { readFrameMeta, type AnalyzerReport } from './protocol.js';
import { checkPatternFrame } from './test-pattern.js';
import { fail, onCommand, openChannel, post } from './worker-side.js';

const REPORT_INTERVAL_MS = 250;
/** Latency samples kept between two reports. */
const MAX_LATENCIES = 2000;

const luma = new LumaAnalysis();

let channel: FrameChannel | undefined;
let subscriber: FrameSubscriber | undefined;
let received = 0;
let skippedBefore = 0;
let checked = 0;
let integrityErrors = 0;
let lastIntegrityError: string | null = null;
let size = { width: 0, height: 0 };
let figures: LumaFigures = { histogram: [], motion: 0 };
let latenciesUs: number[] = [];

function analyze(frame: Frame): void {
  const latencyNs = process.hrtime.bigint() - frame.timestamp;
  if (latenciesUs.length < MAX_LATENCIES) latenciesUs.push(Number(latencyNs) / 1000);
  received++;
  size = { width: frame.width, height: frame.height };
  figures = luma.analyze(frame.pixels, frame.width, frame.height);
  const meta = readFrameMeta(frame.meta);
  if (meta.source === 'pattern') {
    checked++;
    const problem = checkPatternFrame(frame.pixels, frame, meta.frameNumber);
    if (problem !== null) {
      integrityErrors++;
      lastIntegrityError = `frame ${meta.frameNumber}: ${problem}`;
    }
  }
}

/** Receives from one channel until it closes or the next handle arrives. */
async function receiveFrom(own: FrameSubscriber): Promise<void> {
  try {
    for (;;) {
      const frame = await own.next();
      try {
        analyze(frame);
      } finally {
        frame.release();
      }
    }
  } catch (error) {
    const code = (error as ShmError).code;
    // ERR_CLOSED: we left for another channel. ERR_PUBLISHER_GONE: the
    // producer left this one (a resolution change); the new handle follows.
    if (code === 'ERR_CLOSED' || code === 'ERR_PUBLISHER_GONE') return;
    fail(`The analyzer stopped: ${(error as Error).message}`);
  }
}

function switchChannel(handle: string): void {
  leaveChannel();
  channel = openChannel('analyzer', handle);
  if (channel === undefined) return;
  subscriber = channel.subscriber();
  void receiveFrom(subscriber);
}

function leaveChannel(): void {
  if (subscriber !== undefined) skippedBefore += subscriber.skipped;
  subscriber?.close();
  channel?.close();
  subscriber = undefined;
  channel = undefined;
}

function report(): void {
  const message: AnalyzerReport = {
    type: 'analyzer',
    received,
    skipped: skippedBefore + (subscriber?.skipped ?? 0),
    checked,
    integrityErrors,
    lastIntegrityError,
    width: size.width,
    height: size.height,
    latenciesUs,
    histogram: figures.histogram,
    motion: figures.motion,
  };
  latenciesUs = [];
  post(message);
}

process.on('exit', leaveChannel);

onCommand((command) => {
  if (command.type === 'channel') switchChannel(command.handle);
  else if (command.type === 'stop') process.exit(0);
});

setInterval(report, REPORT_INTERVAL_MS);
