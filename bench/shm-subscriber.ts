// The receiving process of the electron-shm benchmark, started with
// forkUtility(). 'rate': receives and releases frames as fast as they come.
// 'latency': records publish-to-receive time of each frame and acks it, so
// that the publisher sends the next only once this process waits again.
import { FrameChannel, utilityParent, type ShmError } from 'electron-shm';

const parent = utilityParent();
parent.once('message', async ({ handle, mode }: { handle: string; mode: 'rate' | 'latency' }) => {
  const channel = FrameChannel.import(handle);
  const subscriber = channel.subscriber();
  parent.postMessage({ ready: true });
  const latenciesUs: number[] = [];
  let received = 0;
  try {
    for (;;) {
      const frame = await subscriber.next();
      if (mode === 'latency') {
        latenciesUs.push(Number(process.hrtime.bigint() - frame.timestamp) / 1000);
        parent.postMessage({ ack: frame.sequence });
      }
      received++;
      frame.release();
    }
  } catch (error) {
    if ((error as ShmError).code !== 'ERR_PUBLISHER_GONE') throw error;
  }
  parent.postMessage({ received, latenciesUs });
  channel.close();
  process.disconnect?.();
});
