// The receiving process of bench/node-wake.ts: for each 8-byte send time
// (process.hrtime.bigint(), little-endian) that arrives on stdin, writes
// the microseconds it took to arrive, one line each. Plain JavaScript, no
// module of ours: it measures Node's own wake, nothing else.
'use strict';

let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  const now = process.hrtime.bigint();
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 8) {
    process.stdout.write(`${Number(now - pending.readBigUInt64LE(0)) / 1000}\n`);
    pending = pending.subarray(8);
  }
});
