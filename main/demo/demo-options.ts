/**
 * The demo's command line, the same for Electron and the web host:
 *   --resolution 640x360|720p|1080p|4k   (default 640x360)
 *   --fps N                              (default 30)
 *   --analyzers N                        (default 2)
 *   --video FILE                         decode FILE with ffmpeg instead of the test pattern
 *   --port N                             web host only (default 0: any free port)
 */
import * as fs from 'node:fs';
import { MAX_ANALYZERS, type DemoOptions } from './pipeline.js';
import { MAX_FPS, MIN_FPS, RESOLUTION_NAMES, type ResolutionName } from './protocol.js';

export interface DemoCommandLine extends DemoOptions {
  port: number;
}

export class UsageError extends Error {}

function integer(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} takes an integer from ${min} to ${max}, not ${text ?? 'nothing'}`);
  }
  return value;
}

/**
 * Reads the demo's options from `args`. Electron adds switches of its own
 * to the command line, so `ignoreUnknown` lets those pass.
 */
export function parseDemoArgs(args: readonly string[], { ignoreUnknown = false } = {}): DemoCommandLine {
  const parsed: DemoCommandLine = { resolution: '640x360', fps: 30, analyzers: 2, port: 0 };
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!;
    const value = args[i + 1];
    switch (name) {
      case '--resolution':
        if (!RESOLUTION_NAMES.includes(value as ResolutionName)) throw new UsageError(`--resolution takes one of ${RESOLUTION_NAMES.join(', ')}, not ${value ?? 'nothing'}`);
        parsed.resolution = value as ResolutionName;
        break;
      case '--fps':
        parsed.fps = integer(name, value, MIN_FPS, MAX_FPS);
        break;
      case '--analyzers':
        parsed.analyzers = integer(name, value, 0, MAX_ANALYZERS);
        break;
      case '--port':
        parsed.port = integer(name, value, 0, 65535);
        break;
      case '--video':
        if (value === undefined || !fs.existsSync(value)) throw new UsageError(`--video takes a video file, and ${value ?? 'nothing'} is not one`);
        parsed.video = value;
        break;
      default:
        if (!ignoreUnknown) throw new UsageError(`Unknown option ${name}`);
        continue;
    }
    i++;
  }
  return parsed;
}
