/**
 * Where the demo's other parts are. The main-process code runs compiled
 * (dist/main/demo, as Electron needs) or from source under tsx (main/demo),
 * so the renderer's folder is found by walking up, not by a fixed depth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function rendererDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'renderer-demo');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`renderer-demo/index.html was not found above ${__dirname}`);
  }
}

/** The compiled preload, next to the compiled main-process code (dist/preload). */
export function preloadPath(): string {
  return path.join(__dirname, '..', '..', 'preload', 'preload.js');
}
