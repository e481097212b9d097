/**
 * The floor for JavaScript: how long one byte takes from one Node event
 * loop to another that sleeps, over a pipe (the receiver's stdin). No code
 * of ours is on that path, so no wake of a JavaScript receiver, through
 * any mechanism, can beat it by much; the C futex floor has no event loop
 * on either side. Measured as the frame latency is: one at a time, 1 ms
 * after the last arrived.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const SAMPLES = 500;

export async function nodeWakeUs(): Promise<number[]> {
  const child = spawn(process.execPath, [path.join(__dirname, 'pipe-receiver.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines: number[] = [];
    let text = '';
    let arrived: (() => void) | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const parts = text.split('\n');
      text = parts.pop()!;
      lines.push(...parts.map(Number));
      arrived?.();
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // start-up settles first
    for (let i = 0; i < SAMPLES; i++) {
      const got = new Promise<void>((resolve) => (arrived = () => lines.length > i && resolve()));
      const sent = Buffer.alloc(8);
      sent.writeBigUInt64LE(process.hrtime.bigint());
      child.stdin.write(sent);
      await got;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return lines;
  } finally {
    child.kill();
  }
}
