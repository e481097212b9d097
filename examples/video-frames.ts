import { FrameChannel, forkUtility, utilityParent } from 'electron-shm';

if (process.argv[2] !== 'utility') {
  // Main process: a channel of 640×360 RGBA frames. 'queue' hands every
  // frame to every subscriber ('latest', the default, only the newest).
  const channel = FrameChannel.create({ width: 640, height: 360, policy: 'queue' });
  const child = forkUtility(__filename, ['utility']);
  child.postMessage(channel.exportHandle({ once: true }));
  // Publish once the utility process has subscribed: a subscriber receives
  // the frames sent after it joined.
  child.once('message', async () => {
    const publisher = channel.publisher();
    for (let n = 1; n <= 3; n++) {
      const sample = await publisher.loan({ wait: true, timeoutMs: 10_000 });
      sample.pixels.fill(n * 10); // written in place, in the shared slot
      sample.send();
    }
    publisher.close(); // the subscriber's loop ends after the last frame
    child.once('exit', () => channel.close());
  });
} else {
  const parent = utilityParent();
  parent.once('message', async (handle: string) => {
    const channel = FrameChannel.import(handle);
    const subscriber = channel.subscriber();
    parent.postMessage('subscribed');
    // Each frame is the publisher's memory, read-only here: no copy. The
    // loop releases it when it asks for the next.
    for await (const frame of subscriber) {
      console.log(`frame ${frame.sequence}: ${frame.width}x${frame.height}, first byte ${frame.pixels[0]}`);
    }
    channel.close();
    process.exit(0);
  });
}
