/**
 * Frames that do real work, at 1080p RGBA: the publisher writes every pixel
 * of each frame and every subscriber reads every pixel (a checksum, which it
 * verifies), with 1, 2 and 4 subscribers. electron-shm's frame channel, with
 * subscriber processes, against the same work done alone in one process
 * (the limit), worker_threads moving buffers (each subscriber's buffers go
 * to it and back, none allocated per frame, so the publisher writes one
 * per subscriber) and child_process IPC (the frame copied to each child).
 * Each keeps at most IN_FLIGHT frames per subscriber on their way. Rows for
 * bench/run.ts's table: frames per second, every subscriber having read
 * every frame.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FrameChannel, forkUtility, type UtilityChild } from 'electron-shm';
import type { RuntimeResults } from './report';
import { checksum, expected, fill } from './work-pattern.js';

const WIDTH = 1920;
const HEIGHT = 1080;
const BYTES = WIDTH * HEIGHT * 4;
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1000);
const IN_FLIGHT = 2;
const SUBSCRIBERS = [1, 2, 4];
const SUBSCRIBER = path.join(__dirname, 'work-subscriber.js');

type Row = RuntimeResults['rows'][number];
interface Reply {
  ready?: boolean;
  frames?: number;
  wrong?: number;
  sequence?: number;
  buffer?: ArrayBuffer;
}
interface Peer {
  send(message: object, transfer?: ArrayBuffer[]): void;
  on(listener: (message: Reply) => void): void;
  close(): void;
}

function next(peer: Peer, accept: (m: Reply) => boolean): Promise<Reply> {
  return new Promise((resolve) => {
    const listener = (m: Reply) => {
      if (accept(m)) resolve(m);
    };
    peer.on(listener);
  });
}

function checkTotals(replies: Reply[], frames: number, method: string): void {
  for (const { frames: got, wrong } of replies) {
    if (got !== frames || wrong !== 0) throw new Error(`${method}: a subscriber read ${got} of ${frames} frames, ${wrong} wrong`);
  }
}

/** The limit: one process writes each frame and reads it once per subscriber. */
function alone(subscribers: number): number {
  const pixels = new Uint32Array(BYTES / 4);
  const started = performance.now();
  let frames = 0;
  while (performance.now() - started < RUN_MS) {
    frames++;
    fill(pixels, frames);
    for (let s = 0; s < subscribers; s++) if (checksum(pixels) !== expected(frames)) throw new Error('the limit miscounted');
  }
  return (frames * 1000) / (performance.now() - started);
}

async function frameChannel(subscribers: number): Promise<number> {
  const channel = FrameChannel.create({ width: WIDTH, height: HEIGHT, slots: IN_FLIGHT + 2, policy: 'queue' });
  const children: UtilityChild[] = [];
  try {
    for (let s = 0; s < subscribers; s++) children.push(forkUtility(SUBSCRIBER, [], { execArgv: [] }));
    const peers: Peer[] = children.map((child) => ({ send: (m) => child.postMessage(m), on: (f) => child.on('message', f), close: () => child.kill() }));
    await Promise.all(peers.map((peer) => { const ready = next(peer, (m) => m.ready === true); peer.send({ handle: channel.exportHandle() }); return ready; }));
    const publisher = channel.publisher();
    const started = performance.now();
    let frames = 0;
    while (performance.now() - started < RUN_MS) {
      const sample = await publisher.loan({ wait: true, timeoutMs: 10_000 });
      fill(new Uint32Array(sample.pixels.buffer, sample.pixels.byteOffset, BYTES / 4), sample.sequence);
      sample.send();
      frames++;
    }
    const totals = peers.map((peer) => next(peer, (m) => m.frames !== undefined));
    // A queue channel sends only once every subscriber released enough: the
    // last frames are read when the close ends their loops.
    publisher.close();
    checkTotals(await Promise.all(totals), frames, 'electron-shm');
    return (frames * 1000) / (performance.now() - started);
  } finally {
    for (const child of children) child.kill();
    channel.close();
  }
}

/** worker_threads or child_process: frames handed to each subscriber, at most IN_FLIGHT each on their way. */
async function handedOver(subscribers: number, moved: boolean, start: () => Peer): Promise<number> {
  const peers = Array.from({ length: subscribers }, start);
  try {
    await Promise.all(peers.map((peer) => { const ready = next(peer, (m) => m.ready === true); peer.send({}); return ready; }));
    // Per subscriber: buffers free to be written (moved), or how many frames are on their way (copied).
    const free = peers.map(() => (moved ? Array.from({ length: IN_FLIGHT }, () => new ArrayBuffer(BYTES)) : []));
    const onTheirWay = peers.map(() => 0);
    let wake: (() => void) | undefined;
    peers.forEach((peer, s) =>
      peer.on((m) => {
        if (m.sequence === undefined) return;
        if (m.buffer) free[s]!.push(m.buffer);
        onTheirWay[s]!--;
        wake?.();
      }),
    );
    const copy = new Uint8Array(BYTES);
    const started = performance.now();
    let frames = 0;
    while (performance.now() - started < RUN_MS) {
      while (onTheirWay.some((n) => n >= IN_FLIGHT)) await new Promise<void>((resolve) => (wake = resolve));
      frames++;
      if (!moved) fill(new Uint32Array(copy.buffer), frames);
      peers.forEach((peer, s) => {
        onTheirWay[s]!++;
        if (moved) {
          const buffer = free[s]!.pop()!;
          fill(new Uint32Array(buffer), frames);
          peer.send({ buffer, sequence: frames, moved: true }, [buffer]);
        } else {
          peer.send({ buffer: copy, sequence: frames });
        }
      });
    }
    while (onTheirWay.some((n) => n > 0)) await new Promise<void>((resolve) => (wake = resolve));
    const elapsed = performance.now() - started;
    const totals = peers.map((peer) => next(peer, (m) => m.frames !== undefined));
    for (const peer of peers) peer.send({ end: true });
    checkTotals(await Promise.all(totals), frames, moved ? 'worker_threads' : 'child_process');
    return (frames * 1000) / elapsed;
  } finally {
    for (const peer of peers) peer.close();
  }
}

function workerPeer(): Peer {
  const worker = new Worker(SUBSCRIBER);
  return { send: (m, transfer) => worker.postMessage(m, transfer ?? []), on: (f) => worker.on('message', f), close: () => void worker.terminate() };
}

function ipcPeer(): Peer {
  const child: ChildProcess = fork(SUBSCRIBER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  return { send: (m) => child.send(m), on: (f) => child.on('message', f), close: () => child.kill() };
}

export async function workRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of SUBSCRIBERS) {
    const frame = `1080p work, ${n} subscriber${n === 1 ? '' : 's'}`;
    const row = (method: string, fps: number): Row => ({ frame, method, fps, medianUs: null, p99Us: null });
    rows.push(row('electron-shm, subscriber processes', await frameChannel(n)));
    rows.push(row('worker_threads, buffers moved', await handedOver(n, true, workerPeer)));
    rows.push(row('child_process IPC (advanced), copied', await handedOver(n, false, ipcPeer)));
    rows.push(row('limit: the same work alone in one process', alone(n)));
  }
  return rows;
}
