/**
 * The demo window's preload (sandboxed): exposes the DemoBridge calls as
 * named functions on `window.demo`, each sending one fixed IPC message.
 * The page never gets ipcRenderer itself, so it can send nothing else.
 *
 * Written as a script, not a module: a sandboxed preload has `require`
 * for 'electron' but no CommonJS `exports` to put a module's exports on.
 */
const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

type DemoBridge = import('../main/demo/bridge-api.js').DemoBridge;
type BridgeReply = import('../main/demo/bridge-api.js').BridgeReply;

/**
 * Sends one call and unwraps its reply. An error keeps its code in its
 * message too: contextBridge hands the page an Error's message, not its
 * other properties.
 */
async function call(name: string, ...args: unknown[]): Promise<any> {
  const reply: BridgeReply = await ipcRenderer.invoke(`demo:${name}`, ...args);
  if ('error' in reply) throw Object.assign(new Error(`${reply.error.message} [${reply.error.code}]`), { code: reply.error.code });
  return reply.value;
}

const demoBridge: DemoBridge = {
  stats: () => call('stats'),
  setResolution: (name) => call('setResolution', name),
  setFps: (fps) => call('setFps', fps),
  setPaused: (paused) => call('setPaused', paused),
  addAnalyzer: () => call('addAnalyzer'),
  removeAnalyzer: () => call('removeAnalyzer'),
  nextPreview: () => call('nextPreview'),
  onStats: (listener) => {
    ipcRenderer.on('demo:stats', (_event, stats) => listener(stats));
  },
};

contextBridge.exposeInMainWorld('demo', demoBridge);
