/**
 * `npm run demo`: the demo in Electron. The main process runs the
 * DemoPipeline (its producer and analyzers are utility processes) and opens
 * one window whose page can do nothing but call the named functions the
 * preload exposes; the native module is loaded here and in the utility
 * processes, never in the renderer.
 */
import { app, BrowserWindow, ipcMain } from 'electron';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BRIDGE_CALLS } from './bridge-api.js';
import { bridgeDispatcher } from './bridge-handlers.js';
import { parseDemoArgs } from './demo-options.js';
import { preloadPath, rendererDir } from './paths.js';
import { DemoPipeline } from './pipeline.js';

const options = parseDemoArgs(process.argv.slice(2), { ignoreUnknown: true });
const page = path.join(rendererDir(), 'index.html');
const pageUrl = pathToFileURL(page).href;
let pipeline: DemoPipeline | undefined;

function isDemoPage(url: string | undefined): boolean {
  if (url === undefined) return false;
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href === pageUrl;
}

function openWindow(demo: DemoPipeline): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 900,
    title: 'electron-shm demo',
    webPreferences: {
      preload: preloadPath(),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // The page stays the demo page: no navigation, no new windows.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const sendStats = (stats: unknown): void => {
    if (!window.isDestroyed()) window.webContents.send('demo:stats', stats);
  };
  demo.on('stats', sendStats);
  window.on('closed', () => demo.off('stats', sendStats));
  void window.loadFile(page);
}

void app.whenReady().then(() => {
  const demo = new DemoPipeline(options);
  pipeline = demo;
  demo.on('worker', (name: string, pid: number) => console.log(`${name} started: pid ${pid}`));
  const dispatch = bridgeDispatcher(demo);
  for (const call of BRIDGE_CALLS) {
    ipcMain.handle(`demo:${call}`, (event, ...args: unknown[]) => {
      // Only the demo page, in any of our windows, may drive the pipeline.
      if (!isDemoPage(event.senderFrame?.url)) throw new Error('Only the demo page may call the demo');
      return dispatch(call, args);
    });
  }
  openWindow(demo);
});

app.on('window-all-closed', () => {
  void (pipeline?.close() ?? Promise.resolve()).then(() => app.quit());
});
