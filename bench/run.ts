/**
 * Frames between two processes through electron-shm, side by side with the
 * ways Node offers today and with the floor measured in C, on the Node that
 * runs this file; a signal's round trip (bench/signals.ts); and frames
 * doing real work, fanned out to 1, 2 and 4 subscribers (bench/work.ts). Prints one table; with `--json FILE`, also writes the
 * results there, for bench/runtimes.ts (`npm run bench`), which runs this
 * on each benchmarked runtime and writes bench/RESULTS.md.
 * Method: docs/benchmark.md.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FrameChannel, forkUtility, type UtilityChild } from 'electron-shm';
import { fmt, goalLines, renderTable, type RuntimeResults } from './report';
import { nodeWakeUs } from './node-wake';
import { signalRows } from './signals';
import { workRows } from './work';

const ROOT = path.join(__dirname, '..');
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 500);
const IN_FLIGHT = 4;
const TRIALS = Number(process.env.BENCH_TRIALS ?? 7);

interface Size {
  name: string;
  width: number;
  height: number;
}
const SIZES: Size[] = [
  { name: '4 KiB', width: 32, height: 32 },
  { name: '1080p RGBA', width: 1920, height: 1080 },
  { name: '4K RGBA', width: 3840, height: 2160 },
];

interface Result {
  fps: number;
  medianUs: number;
  p99Us: number;
}

/**
 * A pause after each latency sample, so that the receiver is asleep in its
 * event loop when the next frame comes, as the C floor's receiver is.
 */
function idle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function once<T>(emitter: { once(event: 'message', f: (m: T) => void): unknown }, accept: (m: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listen = () =>
      emitter.once('message', (m: T) => {
        if (accept(m)) resolve(m);
        else listen();
      });
    listen();
  });
}

// --- electron-shm ---------------------------------------------------------

async function shmRun(size: Size, mode: 'rate' | 'latency'): Promise<{ sent: number; elapsedMs: number; received: number; latenciesUs: number[] }> {
  const channel = FrameChannel.create({ width: size.width, height: size.height, slots: 4, policy: mode === 'rate' ? 'queue' : 'latest' });
  const child: UtilityChild = forkUtility(path.join(__dirname, 'shm-subscriber.ts'), [], { execArgv: ['--import', 'tsx'] });
  try {
    child.postMessage({ handle: channel.exportHandle(), mode });
    await once<{ ready?: boolean }>(child, (m) => m.ready === true);
    const publisher = channel.publisher();
    const started = performance.now();
    let sent = 0;
    if (mode === 'rate') {
      // Pixels are not touched: this measures handing frames over.
      while (performance.now() - started < RUN_MS) {
        (await publisher.loan({ wait: true })).send();
        sent++;
      }
    } else {
      while (sent < LATENCY_SAMPLES && performance.now() - started < RUN_MS * 3) {
        const acked = once<{ ack?: number }>(child, (m) => m.ack !== undefined);
        publisher.loan().send();
        sent++;
        await acked;
        await idle();
      }
    }
    const elapsedMs = performance.now() - started;
    const report = once<{ received?: number; latenciesUs: number[] }>(child, (m) => m.received !== undefined);
    publisher.close();
    const { received, latenciesUs } = await report;
    return { sent, elapsedMs, received: received!, latenciesUs };
  } finally {
    child.kill();
    channel.close();
  }
}

/**
 * Rates of every size, TRIALS times in turn (4 KiB, 1080p, 4K, 4 KiB, ...),
 * each the median of its trials: on two cores a single run's rate depends on
 * how the scheduler happens to place the two processes.
 */
async function shmRates(): Promise<number[]> {
  const trials: number[][] = SIZES.map(() => []);
  for (let t = 0; t < TRIALS; t++) {
    for (const [i, size] of SIZES.entries()) {
      const rate = await shmRun(size, 'rate');
      trials[i]!.push((rate.received * 1000) / rate.elapsedMs);
    }
  }
  return trials.map((rates) => percentile(rates, 0.5));
}

async function shm(size: Size, fps: number): Promise<Result> {
  const latency = await shmRun(size, 'latency');
  return { fps, medianUs: percentile(latency.latenciesUs, 0.5), p99Us: percentile(latency.latenciesUs, 0.99) };
}

// --- copying transports ---------------------------------------------------

/** A receiver of copied frames; every message it sends back goes to `handler`. */
interface Port {
  send(message: object, transfer?: ArrayBuffer[]): void;
  handler: (message: Record<string, unknown>) => void;
  close(): void;
}

function ipcPort(): Port {
  const child: ChildProcess = fork(path.join(__dirname, 'copy-receiver.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port: Port = { send: (m) => child.send(m), handler: () => {}, close: () => child.kill() };
  child.on('message', (m: Record<string, unknown>) => port.handler(m));
  return port;
}

function workerPort(): Port {
  const worker = new Worker(path.join(__dirname, 'copy-receiver.js'));
  const port: Port = { send: (m, transfer) => worker.postMessage(m, transfer ?? []), handler: () => {}, close: () => void worker.terminate() };
  worker.on('message', (m: Record<string, unknown>) => port.handler(m));
  return port;
}

function nextMessage(port: Port, accept: (m: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    port.handler = (m) => {
      if (accept(m)) resolve(m);
    };
  });
}

async function copying(size: Size, port: Port, transfer: boolean): Promise<Result> {
  const bytes = size.width * size.height * 4;
  const reused = new Uint8Array(bytes);
  const frame = () => (transfer ? new Uint8Array(bytes) : reused);
  const post = (latency: boolean) => {
    const u8 = frame();
    port.send({ frame: u8, sentAt: process.hrtime.bigint(), latency }, transfer ? [u8.buffer as ArrayBuffer] : undefined);
  };
  try {
    // Rate: up to IN_FLIGHT frames on their way, as a slot ring allows.
    let acked = 0;
    let inFlight = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (inFlight < IN_FLIGHT && performance.now() - started < RUN_MS) {
          post(false);
          inFlight++;
        }
        if (inFlight === 0) resolve();
      };
      port.handler = () => {
        inFlight--;
        acked++;
        pump();
      };
      pump();
    });
    const fps = (acked * 1000) / (performance.now() - started);
    // Latency: one frame at a time, each sent once the receiver waits again.
    const latencyStart = performance.now();
    for (let i = 0; i < LATENCY_SAMPLES && performance.now() - latencyStart < RUN_MS * 3; i++) {
      const ack = nextMessage(port);
      post(true);
      await ack;
      await idle();
    }
    const report = nextMessage(port, (m) => m.latenciesUs !== undefined);
    port.send({ end: true });
    const latencies = (await report).latenciesUs as number[];
    return { fps, medianUs: percentile(latencies, 0.5), p99Us: percentile(latencies, 0.99) };
  } finally {
    port.close();
  }
}

// --- the floor ------------------------------------------------------------

function floor(): { futexOneWayUs: { median: number; p99: number; cpus: number }; memcpyUs: Record<string, number> } {
  const build = path.join(ROOT, 'build', 'bench');
  execFileSync('cmake', ['-S', __dirname, '-B', build, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', build], { stdio: 'ignore' });
  return JSON.parse(execFileSync(path.join(build, 'floor'), { encoding: 'utf8' }));
}

// --- report ---------------------------------------------------------------

async function measure(): Promise<RuntimeResults> {
  const c = floor();
  const rows: RuntimeResults['rows'] = [];
  const shmResults: Result[] = [];
  const ipcResults: Result[] = [];
  const wakeUs = await nodeWakeUs();
  const nodeWake = { median: percentile(wakeUs, 0.5), p99: percentile(wakeUs, 0.99) };
  const shmFps = await shmRates();
  for (const [index, size] of SIZES.entries()) {
    const bytes = size.width * size.height * 4;
    const results: [string, Result][] = [
      ['electron-shm', await shm(size, shmFps[index]!)],
      ['child_process IPC (advanced)', await copying(size, ipcPort(), false)],
      ['worker_threads postMessage, copied', await copying(size, workerPort(), false)],
      ['worker_threads postMessage, transferred', await copying(size, workerPort(), true)],
    ];
    shmResults.push(results[0]![1]);
    ipcResults.push(results[1]![1]);
    for (const [method, r] of results) rows.push({ frame: size.name, method, ...r });
    const copyUs = c.memcpyUs[String(bytes)]!;
    rows.push({ frame: size.name, method: 'floor: C memcpy of one frame (one core)', fps: 1e6 / copyUs, medianUs: copyUs, p99Us: null });
    rows.push({ frame: size.name, method: 'floor: C futex one-way wake (two cores)', fps: null, medianUs: c.futexOneWayUs.median, p99Us: c.futexOneWayUs.p99 });
    rows.push({ frame: size.name, method: 'floor: Node one-way wake (a pipe, no code of ours)', fps: null, medianUs: nodeWake.median, p99Us: nodeWake.p99 });
  }

  rows.push(...(await signalRows(c.futexOneWayUs)));
  rows.push(...(await workRows()));

  const [small, , large] = shmResults as [Result, Result, Result];
  const ipc4k = ipcResults[2]!;
  const latencyGoal = 2 * c.futexOneWayUs.median;
  const worstMedian = Math.max(...shmResults.map((r) => r.medianUs));
  const goals = [
    { goal: '4K rate ≥ 0.8 × 4 KiB rate', met: large.fps >= 0.8 * small.fps, detail: `${fmt(large.fps)} vs ${fmt(small.fps)} frames/s (${fmt(large.fps / small.fps, 2)}×)` },
    { goal: '4K rate ≥ 100 × child_process IPC', met: large.fps >= 100 * ipc4k.fps, detail: `${fmt(large.fps / ipc4k.fps)}×` },
    { goal: 'median latency ≤ 2 × C futex one-way', met: worstMedian <= latencyGoal, detail: `worst median ${fmt(worstMedian, 1)} µs vs ${fmt(latencyGoal, 1)} µs` },
    { goal: 'median latency ≤ 1.5 × Node one-way wake', met: worstMedian <= 1.5 * nodeWake.median, detail: `worst median ${fmt(worstMedian, 1)} µs vs ${fmt(1.5 * nodeWake.median, 1)} µs` },
  ];
  const method = `Each rate runs ${RUN_MS} ms with at most ${IN_FLIGHT} frames in flight (electron-shm: the median of ${TRIALS} such runs, sizes in turn); each latency is up to ${LATENCY_SAMPLES} frames sent one at a time, each 1 ms after the receiver acknowledged the last, so that it is asleep in its event loop.`;
  return { node: process.version, method, rows, goals };
}

async function main(): Promise<void> {
  const results = await measure();
  const rows = results.rows.map((r) => [r.frame, r.method, fmt(r.fps), fmt(r.medianUs, 1), fmt(r.p99Us, 1)]);
  console.log(`Node ${results.node}\n${renderTable([['frame', 'method', 'frames/s', 'median µs', 'p99 µs']], rows)}\n\n${goalLines(results.goals)}`);
  const json = process.argv.indexOf('--json');
  if (json > 0) fs.writeFileSync(process.argv[json + 1]!, JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
