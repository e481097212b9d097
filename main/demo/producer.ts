/**
 * The demo's producer (a utility process, or a Node child process under
 * the web host). It publishes frames into the channel whose handle the main
 * process posts: the synthetic test pattern drawn in place in the loaned
 * slot, or with `--video FILE` frames decoded by ffmpeg.
 *
 * Main → producer: WorkerCommand. Producer → main: ProducerReport, or a
 * WorkerFailure before it exits.
 */
import { FrameChannel, ShmError, utilityParent, type FramePublisher } from '../index.js';
import { FrameClock } from './frame-clock.js';
import { writeFrameMeta, type FrameSource, type ProducerReport, type WorkerCommand, type WorkerMessage } from './protocol.js';
import { drawPattern } from './test-pattern.js';
import { VideoReader } from './video-reader.js';

const REPORT_INTERVAL_MS = 250;

const parent = utilityParent();
const videoFile = optionValue('--video');
const source: FrameSource = videoFile === undefined ? 'pattern' : 'video';

let channel: FrameChannel | undefined;
let publisher: FramePublisher | undefined;
let video: VideoReader | undefined;
let produced = 0;
let stalls = 0;
let paused = false;
const clock = new FrameClock(Number(optionValue('--fps') ?? 30), produceFrame);

function optionValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

function post(message: WorkerMessage): void {
  parent.postMessage(message);
}

function fail(message: string): never {
  post({ type: 'failure', message });
  stop(1);
}

function produceFrame(): void {
  if (publisher === undefined || channel === undefined) return;
  let sample;
  try {
    sample = publisher.loan();
  } catch (error) {
    // Every slot leased by a reader: skip this tick rather than wait, as a
    // camera would.
    if ((error as ShmError).code !== 'ERR_NO_FREE_SLOT') throw error;
    stalls++;
    return;
  }
  if (video !== undefined) {
    if (!video.readFrame(sample.pixels)) {
      sample.drop();
      return;
    }
  } else {
    drawPattern(sample.pixels, channel, produced);
  }
  writeFrameMeta(sample.meta, source, produced);
  sample.send({ timestamp: process.hrtime.bigint() });
  produced++;
}

/** Leaves the current channel (subscribers see it close) for the one behind `handle`. */
function switchChannel(handle: string): void {
  leaveChannel();
  try {
    channel = FrameChannel.import(handle);
  } catch (error) {
    if ((error as ShmError).code !== 'ERR_HANDLE_REVOKED') {
      post({ type: 'failure', message: `The producer could not open the channel: ${(error as Error).message}` });
      process.exit(1);
    }
    // Two resolution changes in quick succession: the main process closed
    // this channel before we opened it, and the next handle is on its way.
    console.warn(`producer: skipped a channel closed before it was opened (${(error as Error).message})`);
    return;
  }
  publisher = channel.publisher();
  if (videoFile !== undefined) video = new VideoReader(videoFile, channel.width, channel.height, fail);
  report();
  if (!paused) clock.start();
}

function leaveChannel(): void {
  clock.stop();
  video?.stop();
  video = undefined;
  publisher?.close();
  channel?.close();
  publisher = undefined;
  channel = undefined;
}

function report(): void {
  const message: ProducerReport = {
    type: 'producer',
    produced,
    stalls,
    width: channel?.width ?? 0,
    height: channel?.height ?? 0,
    source,
  };
  post(message);
}

function stop(code: number): never {
  leaveChannel();
  process.exit(code);
}

parent.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'channel':
      switchChannel(command.handle);
      break;
    case 'fps':
      clock.setFps(command.fps);
      break;
    case 'paused':
      paused = command.paused;
      if (paused) clock.stop();
      else if (publisher !== undefined) clock.start();
      report();
      break;
    case 'stop':
      stop(0);
  }
});

setInterval(report, REPORT_INTERVAL_MS);
