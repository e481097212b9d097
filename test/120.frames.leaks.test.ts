import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameChannel } from 'electron-shm';
import { assertNoMoreDescriptors, collectGarbage, descriptorKinds, mappingLines, openFdCount, sharedMappings, threadCount } from './helpers';

/** Everything a channel has, used once and closed: export, import, publish, receive, wait. */
async function cycle(): Promise<void> {
  const channel = FrameChannel.create({ width: 64, height: 32, slots: 3, policy: 'queue' });
  try {
    const imported = FrameChannel.import(channel.exportHandle({ once: true }));
    try {
      const subscriber = imported.subscriber();
      const publisher = channel.publisher();
      const waiting = subscriber.next({ timeoutMs: 5000 });
      publisher.loan().send();
      (await waiting).release();
      const held = (publisher.loan().send(), subscriber.tryReceive());
      if (held === null) throw new Error('no frame');
      publisher.loan().drop();
    } finally {
      imported.close();
    }
  } finally {
    channel.close();
  }
}

describe('frame channel leaks', () => {
  it('Tests that 2,000 channels, each exported, imported, published, received and closed, leave no fd, mapping or thread', async () => {
    // The process's wake watcher opens with the first channel and stays.
    // Counts are taken after full collections.
    for (let i = 0; i < 50; i++) await cycle();
    collectGarbage();
    const fds = openFdCount();
    const kinds = descriptorKinds();
    const maps = mappingLines().length;
    const threads = threadCount();
    for (let i = 0; i < 2000; i++) await cycle();
    collectGarbage();
    // Not more of any kind we open (eventfds, sockets, memfds, pidfds), and
    // not more in all. Fewer is no leak: the runtime closes descriptors of
    // its own meanwhile (Node 26 did, one, once).
    assertNoMoreDescriptors(kinds);
    assert.ok(openFdCount() <= fds, `open descriptors: ${openFdCount()}, ${fds} before`);
    assert.equal(sharedMappings().length, 0, 'shared mappings (frames and headers)');
    // Other lines are V8's heap pages and malloc's arenas (one per broker
    // thread that ran), which appear once and stay: they level off (Node 26
    // alone: +10 within the first 1,000 cycles, then flat to 6,000; up to
    // +17 within the suite). Ours are counted exactly above, and a leak of
    // ours would add at least one line per cycle, 2,000 here.
    assert.ok(mappingLines().length <= maps + 64, `mappings grew from ${maps} to ${mappingLines().length}`);
    assert.equal(threadCount(), threads, 'threads');
  });
});
