// A subscriber of bench/work.ts that reads every pixel of every 1080p RGBA
// frame (a checksum, which it verifies), however frames reach it: from a
// frame channel (its handle comes in the first message), as buffers moved
// to this worker thread and back, or as copies over child_process IPC.
// Plain JavaScript: it runs as a worker of every runtime.
const { parentPort } = require('node:worker_threads');
const { FrameChannel, utilityParent } = require('electron-shm');
const { checksum, expected } = require('./work-pattern.js');

const port = parentPort ?? utilityParent();
let frames = 0;
let wrong = 0;

function read(pixels, sequence) {
  if (checksum(pixels) !== expected(sequence)) wrong++;
  frames++;
}

let aligned;

/**
 * A moved ArrayBuffer as it is; a copied Uint8Array where IPC put it, or
 * (as IPC may leave it at any byte offset) copied once more to a
 * boundary that 32-bit pixels can be read at.
 */
function pixelsOf(buffer) {
  if (buffer instanceof ArrayBuffer) return new Uint32Array(buffer);
  if (buffer.byteOffset % 4 === 0) return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  aligned ??= new Uint8Array(buffer.byteLength);
  aligned.set(buffer);
  return new Uint32Array(aligned.buffer);
}

let started = false;
port.on('message', async (message) => {
  if (!started) {
    started = true;
    if (message.handle !== undefined) await subscribe(message.handle);
    else port.postMessage({ ready: true });
    return;
  }
  if (message.end) {
    port.postMessage({ frames, wrong });
    return;
  }
  const { buffer, sequence } = message;
  read(pixelsOf(buffer), sequence);
  // A moved buffer goes back for the next frame; a copy is only acknowledged.
  if (message.moved) port.postMessage({ buffer, sequence }, [buffer]);
  else port.postMessage({ sequence });
});

async function subscribe(handle) {
  const channel = FrameChannel.import(handle);
  const subscriber = channel.subscriber();
  port.postMessage({ ready: true });
  try {
    for await (const frame of subscriber) {
      const bytes = frame.pixels;
      read(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), frame.sequence);
    }
  } catch {
    // the publisher closed: the end
  }
  port.postMessage({ frames, wrong });
  channel.close();
}
