import { AnonMap, forkUtility, importHandle, Semaphore, utilityParent } from 'electron-shm';

// A request and its answer, in place: the main process writes numbers into
// shared memory and posts `request`; the utility process squares them where
// they lie and posts `response`. The data is never copied.
const COUNT = 1024;
type Handles = { map: string; request: string; response: string };

if (process.argv[2] !== 'utility') {
  const map = AnonMap.create(COUNT * Float64Array.BYTES_PER_ELEMENT);
  const { bytes } = map.map();
  const data = new Float64Array(bytes.buffer, bytes.byteOffset, COUNT);
  const request = Semaphore.create();
  const response = Semaphore.create();
  // In Electron, forkUtility starts a utility process; in Node, a child.
  const child = forkUtility(__filename, ['utility']);
  const handles: Handles = { map: map.exportHandle({ once: true }), request: request.exportHandle({ once: true }), response: response.exportHandle({ once: true }) };
  child.postMessage(handles);
  (async () => {
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < COUNT; i++) data[i] = i * round;
      request.post();
      await response.wait({ timeoutMs: 10_000 });
      console.log(`round ${round}: ${data[3]} ${data[COUNT - 1]}`);
    }
    child.once('exit', () => [map, request, response].forEach((held) => held.close()));
    child.postMessage('stop');
  })();
} else {
  const parent = utilityParent();
  parent.once('message', async (handles: Handles) => {
    const map = importHandle(handles.map);
    const request = Semaphore.import(handles.request);
    const response = Semaphore.import(handles.response);
    const { bytes } = map.map();
    const data = new Float64Array(bytes.buffer, bytes.byteOffset, COUNT);
    // Closing `request` ends the wait below with ERR_CLOSED.
    parent.on('message', (message) => message === 'stop' && request.close());
    try {
      for (;;) {
        await request.wait();
        for (let i = 0; i < COUNT; i++) data[i] = data[i]! * data[i]!;
        response.post();
      }
    } catch {
      [map, response].forEach((held) => held.close());
      process.exit(0);
    }
  });
}
