/**
 * Starting and stopping the demo for a test: the web host as a Node
 * process of its own, or the Electron app through Playwright. Either way
 * the test gets the page and the pids of every worker the demo started,
 * and stopping checks that all of them are gone.
 */
import { _electron, expect, type Page } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..');
const WEB_HOST = path.join(ROOT, 'dist', 'main', 'demo', 'web-host.js');
const ELECTRON_MAIN = path.join(ROOT, 'dist', 'main', 'demo', 'electron-main.js');
const WORKER_STARTED = /^(producer|analyzer) started: pid (\d+)$/gm;

export interface RunningDemo {
  /** Pids of every worker started so far, as the demo printed them. */
  workerPids(): number[];
  /** What the demo printed. */
  output(): string;
  /** Stops the demo, and checks that it and all its workers have exited. */
  stop(): Promise<void>;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process is gone (or only a zombie that nobody reaped yet). */
export function processGone(pid: number): boolean {
  if (!processExists(pid)) return true;
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

function pidsIn(output: string): number[] {
  return [...output.matchAll(WORKER_STARTED)].map((m) => Number(m[2]));
}

async function expectAllGone(pids: number[]): Promise<void> {
  await expect.poll(() => pids.filter((pid) => !processGone(pid)), { message: 'worker processes left running', timeout: 10_000 }).toEqual([]);
}

export interface DemoLaunch {
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts `npm run demo:web`'s host and waits for its URL. */
export async function startWebHost({ args, env }: DemoLaunch): Promise<RunningDemo & { url: string }> {
  const host = spawn(process.execPath, [WEB_HOST, '--port', '0', ...args], {
    cwd: ROOT,
    env: env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  host.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  host.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The web host printed no URL in 15 s:\n${output}`)), 15_000);
    const look = (): void => {
      const found = /open (http:\/\/127\.0\.0\.1:\d+\/#[0-9a-f]+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    };
    host.stdout.on('data', look);
    host.once('exit', () => reject(new Error(`The web host exited:\n${output}`)));
  });
  return {
    url,
    workerPids: () => pidsIn(output),
    output: () => output,
    async stop() {
      const pids = pidsIn(output);
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGTERM');
      const timer = setTimeout(() => host.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      expect(host.exitCode, `the web host's exit; it printed:\n${output}`).toBe(0);
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
    workerPids: () => pidsIn(output),
    output: () => output,
    async stop() {
      const pids = pidsIn(output);
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
