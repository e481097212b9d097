// @ts-check
/**
 * The web host's bridge: gives the page the same `window.demo` as
 * Electron's preload, over a WebSocket to the web host. Under Electron the
 * preload has defined `window.demo` before this runs, and this does
 * nothing.
 */
'use strict';

(() => {
  if ('demo' in window) return;

  /** @typedef {import('../main/demo/bridge-api').DemoBridge} DemoBridge */
  /** @typedef {import('../main/demo/bridge-api').DemoStats} DemoStats */
  // Errors carry their code in the message as well, as under Electron,
  // where only an Error's message reaches the page.

  // The token comes in the URL's fragment, which the browser never sends
  // to a server or puts in a Referer.
  const token = location.hash.slice(1);
  const socket = new WebSocket(`ws://${location.host}/bridge?token=${encodeURIComponent(token)}`);
  socket.binaryType = 'arraybuffer';
  const opened = new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error('The demo bridge is not reachable: is the web host running, and is the URL whole?')), { once: true });
  });

  /** @type {Map<number, {resolve: (value: any) => void, reject: (error: Error) => void}>} */
  const pending = new Map();
  /** @type {((stats: DemoStats) => void)[]} */
  const statsListeners = [];
  let nextId = 1;

  socket.addEventListener('message', (event) => {
    if (event.data instanceof ArrayBuffer) {
      // A preview: u32 id, u32 header length, JSON header, pixels.
      const view = new DataView(event.data);
      const id = view.getUint32(0, true);
      const headerLength = view.getUint32(4, true);
      const header = JSON.parse(new TextDecoder().decode(new Uint8Array(event.data, 8, headerLength)));
      settle(id, { ...header, pixels: new Uint8Array(event.data, 8 + headerLength) });
      return;
    }
    const message = JSON.parse(event.data);
    if (message.event === 'stats') for (const listener of statsListeners) listener(message.stats);
    else if (message.error) settle(message.id, undefined, Object.assign(new Error(`${message.error.message} [${message.error.code}]`), { code: message.error.code }));
    else settle(message.id, message.value);
  });

  socket.addEventListener('close', () => {
    for (const { reject } of pending.values()) reject(new Error('The demo bridge closed: the web host has stopped'));
    pending.clear();
  });

  /**
   * @param {number} id
   * @param {unknown} result
   * @param {Error} [error]
   */
  function settle(id, result, error) {
    const waiter = pending.get(id);
    pending.delete(id);
    if (error) waiter?.reject(error);
    else waiter?.resolve(result);
  }

  /**
   * @param {string} call
   * @param {unknown[]} args
   * @returns {Promise<any>}
   */
  async function request(call, ...args) {
    await opened;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, call, args }));
    });
  }

  /** @type {DemoBridge} */
  const demo = {
    stats: () => request('stats'),
    setResolution: (name) => request('setResolution', name),
    setFps: (fps) => request('setFps', fps),
    setPaused: (paused) => request('setPaused', paused),
    addAnalyzer: () => request('addAnalyzer'),
    removeAnalyzer: () => request('removeAnalyzer'),
    nextPreview: () => request('nextPreview'),
    onStats: (listener) => {
      statsListeners.push(listener);
    },
  };
  Object.defineProperty(window, 'demo', { value: Object.freeze(demo) });
})();
