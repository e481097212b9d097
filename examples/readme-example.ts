import { fork } from 'node:child_process';
import { AnonMap, importHandle } from 'electron-shm';

if (process.argv[2] !== 'child') {
  // Main process: 1 MiB of shared memory, a greeting at its start.
  const map = AnonMap.create(1 << 20);
  const view = map.map();
  new TextEncoder().encodeInto('hello from main', view.bytes);
  // The child inherits nothing but its IPC channel, like a utility process.
  const child = fork(__filename, ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(map.exportHandle({ once: true }));
  child.once('message', () => {
    console.log(new TextDecoder().decode(view.bytes.subarray(4096, 4096 + 16)));
    map.close();
  });
} else {
  process.once('message', (handle: string) => {
    const map = importHandle(handle); // the same memory, no copy
    const view = map.map();
    console.log(new TextDecoder().decode(view.bytes.subarray(0, 15)));
    new TextEncoder().encodeInto('hello from child', view.bytes.subarray(4096));
    map.close();
    process.send!('done', () => process.disconnect());
  });
}
