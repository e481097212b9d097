/**
 * A signal and its answer between two processes (a ping-pong): electron-shm's
 * Semaphore, against child_process IPC and the C futex floor. Each round
 * trip starts when the echo process is asleep in its event loop, as a
 * request to a utility process does. Rows for bench/run.ts's table.
 */
import * as path from 'node:path';
import { forkUtility, Semaphore, type UtilityChild } from 'electron-shm';
import type { RuntimeResults } from './report';

const ROUNDS = Number(process.env.BENCH_SIGNAL_ROUNDS ?? 2000);

type Row = RuntimeResults['rows'][number];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function row(method: string, roundTripsUs: number[]): Row {
  const total = roundTripsUs.reduce((a, b) => a + b, 0);
  return { frame: 'signal', method, fps: (roundTripsUs.length * 1e6) / total, medianUs: percentile(roundTripsUs, 0.5), p99Us: percentile(roundTripsUs, 0.99) };
}

function ready(child: UtilityChild): Promise<void> {
  return new Promise((resolve) => child.once('message', () => resolve()));
}

/** A pause between round trips, so that the echo process sleeps when the ping comes. */
function idle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

async function semaphorePingPong(): Promise<number[]> {
  const ping = Semaphore.create();
  const pong = Semaphore.create();
  const child = forkUtility(path.join(__dirname, 'signal-echo.js'), [], { execArgv: [] });
  try {
    child.postMessage({ ping: ping.exportHandle({ once: true }), pong: pong.exportHandle({ once: true }) });
    await ready(child);
    const us: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const started = process.hrtime.bigint();
      ping.post();
      await pong.wait({ timeoutMs: 10_000 });
      us.push(Number(process.hrtime.bigint() - started) / 1000);
      await idle();
    }
    return us;
  } finally {
    ping.close();
    pong.close();
    child.kill();
  }
}

async function ipcPingPong(): Promise<number[]> {
  const child = forkUtility(path.join(__dirname, 'signal-echo.js'), [], { execArgv: [] });
  try {
    child.postMessage({});
    await ready(child);
    const us: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const started = process.hrtime.bigint();
      const answered = ready(child);
      child.postMessage(i);
      await answered;
      us.push(Number(process.hrtime.bigint() - started) / 1000);
      await idle();
    }
    return us;
  } finally {
    child.kill();
  }
}

/** The ping-pong rows; `futexOneWayUs` is the C floor's one-way wake. */
export async function signalRows(futexOneWayUs: { median: number; p99: number }): Promise<Row[]> {
  return [
    row('electron-shm Semaphore ping-pong (round trip)', await semaphorePingPong()),
    row('child_process IPC ping-pong (round trip)', await ipcPingPong()),
    { frame: 'signal', method: 'floor: C futex round trip (2 × one-way)', fps: null, medianUs: 2 * futexOneWayUs.median, p99Us: null },
  ];
}
