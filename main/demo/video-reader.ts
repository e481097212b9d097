/**
 * Decoded video frames from the ffmpeg binary on PATH: ffmpeg scales the
 * file to the channel's size and writes raw RGBA frames to a pipe, looping
 * the file forever. The producer takes one whole frame per tick and copies
 * it into a loaned slot: the one copy of a video frame, from the decoder's
 * pipe into shared memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Frames read ahead before ffmpeg is paused by the pipe's back-pressure. */
const FRAMES_AHEAD = 2;

export class VideoReader {
  readonly #frameSize: number;
  readonly #process: ChildProcess;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #stderr = '';
  #stopped = false;

  /** `onFailure` is called once if ffmpeg cannot start or stops on its own. */
  constructor(file: string, width: number, height: number, onFailure: (message: string) => void) {
    this.#frameSize = width * height * 4;
    const fit = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`;
    this.#process = spawn(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-nostdin', '-stream_loop', '-1', '-i', file, '-vf', fit, '-pix_fmt', 'rgba', '-f', 'rawvideo', 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#process.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#stopped) return;
      onFailure(
        error.code === 'ENOENT'
          ? 'ffmpeg was not found on PATH, and --video needs it to decode the file. Install it (Debian: apt-get install ffmpeg) or run the demo without --video.'
          : `ffmpeg could not start: ${error.message}`,
      );
    });
    this.#process.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-2000);
    });
    this.#process.stdout!.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= FRAMES_AHEAD * this.#frameSize) this.#process.stdout!.pause();
    });
    this.#process.on('exit', (code, signal) => {
      if (this.#stopped) return;
      onFailure(`ffmpeg stopped decoding ${file} (${signal ?? `exit code ${code}`}): ${this.#stderr.trim() || 'no message'}`);
    });
  }

  /** Copies the next whole frame into `target`; false if none is decoded yet. */
  readFrame(target: Uint8Array): boolean {
    if (this.#buffered < this.#frameSize) return false;
    let filled = 0;
    while (filled < this.#frameSize) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.length, this.#frameSize - filled);
      target.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= this.#frameSize;
    if (this.#buffered < FRAMES_AHEAD * this.#frameSize) this.#process.stdout!.resume();
    return true;
  }

  stop(): void {
    this.#stopped = true;
    this.#process.kill('SIGKILL');
  }
}
