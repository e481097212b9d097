/**
 * The demo's producer (a utility process, or a Node child process under
 * the web host). It publishes frames into the channel whose handle the main
 * process posts: the synthetic test pattern drawn in place in the loaned
 * slot, or with `--video FILE` frames decoded by ffmpeg.
 *
 * Main → producer: WorkerCommand. Producer → main: ProducerReport, or a
 * WorkerFailure before it exits.
 */
import type { FrameChannel, FramePublisher, Sample, ShmError } from 'electron-shm';
import { FrameClock } from './frame-clock.js';
import { writeFrameMeta, type FrameSource, type ProducerReport } from './protocol.js';
import { drawPattern } from './test-pattern.js';
import { VideoReader } from './video-reader.js';
import { fail, onCommand, openChannel, post } from './worker-side.js';

const REPORT_INTERVAL_MS = 250;

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

function produceFrame(): void {
  if (publisher === undefined || channel === undefined) return;
  let sample: Sample;
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
  channel = openChannel('producer', handle);
  if (channel === undefined) return;
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

// Subscribers see the channel closed, not crashed, whenever this process exits.
process.on('exit', leaveChannel);

onCommand((command) => {
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
      process.exit(0);
  }
});

setInterval(report, REPORT_INTERVAL_MS);
