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

const demoBridge: DemoBridge = {
  stats: () => ipcRenderer.invoke('demo:stats'),
  setResolution: (name) => ipcRenderer.invoke('demo:setResolution', name),
  setFps: (fps) => ipcRenderer.invoke('demo:setFps', fps),
  setPaused: (paused) => ipcRenderer.invoke('demo:setPaused', paused),
  addAnalyzer: () => ipcRenderer.invoke('demo:addAnalyzer'),
  removeAnalyzer: () => ipcRenderer.invoke('demo:removeAnalyzer'),
  nextPreview: () => ipcRenderer.invoke('demo:nextPreview'),
  onStats: (listener) => {
    ipcRenderer.on('demo:stats', (_event, stats) => listener(stats));
  },
};

contextBridge.exposeInMainWorld('demo', demoBridge);
