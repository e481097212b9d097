// What the page's scripts find on `window`: the bridge, from Electron's
// preload or from web-bridge.js.
interface Window {
  demo: import('../main/demo/bridge-api').DemoBridge;
}
