/**
 * Starting and stopping the demo for a test: the web host as a Node
 * process of its own, or the Electron app through Playwright. Either way
 * the test gets the page and the pids of every worker the demo started,
 * and stopping checks that all of them are gone.
 */
import { _electron, expect, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processGone, ROOT, startWebHost, workerPidsIn, type DemoLaunch } from './web-host-process';

export { processGone, ROOT, type DemoLaunch };

const ELECTRON_MAIN = path.join(ROOT, 'dist', 'main', 'demo', 'electron-main.js');

export interface RunningDemo {
  /** Pids of every worker started so far, as the demo printed them. */
  workerPids(): number[];
  /** What the demo printed. */
  output(): string;
  /** Stops the demo, and checks that it and all its workers have exited. */
  stop(): Promise<void>;
}

async function expectAllGone(pids: number[]): Promise<void> {
  await expect.poll(() => pids.filter((pid) => !processGone(pid)), { message: 'worker processes left running', timeout: 10_000 }).toEqual([]);
}

/** Starts `npm run demo:web`'s host and waits for its URL. */
export async function startWebDemo(launch: DemoLaunch): Promise<RunningDemo & { url: string }> {
  const host = await startWebHost(launch);
  return {
    url: host.url,
    workerPids: host.workerPids,
    output: host.output,
    async stop() {
      const pids = host.workerPids();
      expect(await host.stop(), `the web host's exit code; it printed:\n${host.output()}`).toBe(0);
      await expectAllGone(pids);
    },
  };
}

/** Electron's binary, or null when it is not installed (the reason the Electron specs skip). */
export function electronBinary(): string | null {
  try {
    const binary = require('electron') as string;
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Starts the real Electron app and waits for its window. */
export async function startElectronApp({ args, env }: DemoLaunch): Promise<RunningDemo & { page: Page }> {
  const app = await _electron.launch({
    executablePath: electronBinary()!,
    args: [ELECTRON_MAIN, ...args],
    env: (env ?? process.env) as Record<string, string>,
    cwd: ROOT,
  });
  let output = '';
  app.process().stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  app.process().stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const page = await app.firstWindow();
  return {
    page,
    workerPids: () => workerPidsIn(output),
    output: () => output,
    async stop() {
      const pids = workerPidsIn(output);
      await app.close();
      await expectAllGone(pids);
    },
  };
}

/** A short real video, made by ffmpeg: 3 s of its moving test source. */
export function makeClip(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const clip = path.join(dir, 'clip.mp4');
  const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '3', '-pix_fmt', 'yuv420p', clip]);
  if (made.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${made.error?.message ?? made.stderr.toString()}`);
  return clip;
}
