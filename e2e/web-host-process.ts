/**
 * The web host (`npm run demo:web`) as a process of a test's own: started
 * on a free port, its URL and its workers' pids read from what it prints,
 * and stopped the way a person stops it (SIGTERM, as Ctrl+C's SIGINT).
 * Used by the Playwright specs and by the Node tests of the web host; it
 * asserts nothing itself.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SLOWDOWN } from '../test/fixtures/slowdown';

export const ROOT = path.join(__dirname, '..');
const WEB_HOST = path.join(ROOT, 'dist', 'main', 'demo', 'web-host.js');
const WORKER_STARTED = /^(producer|analyzer) started: pid (\d+)$/gm;
const STOP_TIMEOUT_MS = 10_000 * SLOWDOWN;

export interface DemoLaunch {
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface WebHostProcess {
  pid: number;
  url: string;
  /** Pids of every worker started so far, as the host printed them. */
  workerPids(): number[];
  /** What the host printed, stdout and stderr. */
  output(): string;
  /** Stops the host; resolves to its exit code (null if it had to be killed). */
  stop(): Promise<number | null>;
}

/** Whether a process is gone (or a zombie nobody has reaped yet). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

export function workerPidsIn(output: string): number[] {
  return [...output.matchAll(WORKER_STARTED)].map((m) => Number(m[2]));
}

/** Starts the web host with `args` and waits for the URL it prints. */
export async function startWebHost({ args, env }: DemoLaunch): Promise<WebHostProcess> {
  const host = spawn(process.execPath, [WEB_HOST, '--port', '0', ...args], { cwd: ROOT, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  host.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  host.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const waitMs = 15_000 * SLOWDOWN;
    const timer = setTimeout(() => reject(new Error(`The web host printed no URL in ${waitMs / 1000} s:\n${output}`)), waitMs);
    host.stdout.on('data', () => {
      const found = /open (http:\/\/127\.0\.0\.1:\d+\/#[0-9a-f]+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    void exited.then(() => reject(new Error(`The web host exited before printing its URL:\n${output}`)));
  });
  return {
    pid: host.pid!,
    url,
    workerPids: () => workerPidsIn(output),
    output: () => output,
    async stop() {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGTERM');
      const timer = setTimeout(() => host.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
