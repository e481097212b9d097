// The receiving side of the copying transports (child_process IPC with
// 'advanced' serialization, and a worker thread): acks each frame and, in
// latency mode, records when it arrived. Plain JavaScript, so that it runs
// as a worker of Node 20 too.
const { parentPort } = require('node:worker_threads');

const port = parentPort ?? { postMessage: (m) => process.send(m), on: (e, f) => process.on(e, f) };
const latenciesUs = [];
let received = 0;
port.on('message', (message) => {
  if (message.end) {
    port.postMessage({ received, latenciesUs });
    if (!parentPort) process.disconnect();
    return;
  }
  if (message.latency) latenciesUs.push(Number(process.hrtime.bigint() - message.sentAt) / 1000);
  received++;
  port.postMessage({ ack: true });
});
