// `npm run demo`: the demo in Electron. Electron's binary is not fetched
// at install (package.json's allowScripts denies electron's install
// script, which downloads it), so it is fetched here on first use; offline,
// this says so and points to the web host, which needs no Electron.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function electronBinary() {
  try {
    const binary = require('electron');
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null; // "Electron failed to install correctly": no binary yet.
  }
}

let binary = electronBinary();
if (binary === null) {
  console.log("Electron's binary is not installed yet: fetching it (node node_modules/electron/install.js)...");
  const fetched = spawnSync(process.execPath, [require.resolve('electron/install.js')], { stdio: 'inherit', timeout: 10 * 60 * 1000 });
  if (fetched.status === 0) binary = electronBinary();
}
if (binary === null) {
  console.error(
    [
      '',
      "The demo cannot start in Electron: Electron's binary is not installed, and fetching it failed",
      '(it comes from github.com, which this machine cannot reach; see the lines above). Everything',
      'else of the demo works without it: `npm run demo:web` runs the same main-process code under',
      'Node, with Node child processes in place of utility processes, and serves the same window to',
      'your browser on 127.0.0.1.',
    ].join('\n'),
  );
  process.exit(1);
}

const child = spawn(binary, [path.join(root, 'dist', 'main', 'demo', 'electron-main.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
