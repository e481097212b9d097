// The other end of bench/signals.ts's ping-pong: answers each ping at once,
// by semaphore (it imports ping and pong from the handles it is sent) or by
// child_process IPC (it echoes each message).
const { Semaphore, utilityParent } = require('electron-shm');

const parent = utilityParent();
parent.once('message', async ({ ping, pong }) => {
  if (ping === undefined) {
    parent.on('message', (message) => parent.postMessage(message));
    parent.postMessage({ ready: true });
    return;
  }
  const pings = Semaphore.import(ping);
  const pongs = Semaphore.import(pong);
  parent.postMessage({ ready: true });
  try {
    for (;;) {
      await pings.wait();
      pongs.post();
    }
  } catch {
    // ping closed by the parent: the end
  }
});
