/**
 * `npm run demo:web`: the demo without Electron. The same DemoPipeline as
 * in Electron runs here under Node, its workers started by the same
 * forkUtility() (Node child processes in place of utility processes), and
 * the same renderer page is served on 127.0.0.1 to any browser. A
 * WebSocket carries the DemoBridge calls that Electron's preload carries
 * over IPC.
 *
 * Only this machine's loopback is served, and only to a page that knows
 * the random token in the printed URL's fragment: the bridge starts and
 * stops processes, so another site open in the same browser must not reach
 * it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Preview } from './bridge-api.js';
import { bridgeDispatcher } from './bridge-handlers.js';
import { parseDemoArgs, UsageError } from './demo-options.js';
import { rendererDir } from './paths.js';
import { DemoPipeline } from './pipeline.js';

const STATIC_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/web-bridge.js': 'web-bridge.js',
  '/style.css': 'style.css',
};
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self' ws://127.0.0.1:*; img-src 'self' data:";

/** What the page sends: a call of DemoBridge, numbered by the page. */
interface BridgeRequest {
  id: number;
  call: unknown;
  args: unknown[];
}

function isRequest(value: unknown): value is BridgeRequest {
  const request = value as BridgeRequest;
  return typeof value === 'object' && value !== null && Number.isInteger(request.id) && request.id >= 0 && request.id <= 0xffffffff && Array.isArray(request.args);
}

/**
 * A preview goes as one binary message: the request id (u32), the length
 * of a JSON header (u32), the header, then the pixels, so that no pixel is
 * turned into text.
 */
function previewMessage(id: number, preview: Preview): Buffer {
  const { pixels, ...header } = preview;
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(id, 0);
  prefix.writeUInt32LE(json.length, 4);
  return Buffer.concat([prefix, json, pixels]);
}

function serveBridge(socket: WebSocket, pipeline: DemoPipeline): void {
  const dispatch = bridgeDispatcher(pipeline);
  const sendStats = (stats: unknown): void => socket.send(JSON.stringify({ event: 'stats', stats }));
  pipeline.on('stats', sendStats);
  socket.on('close', () => pipeline.off('stats', sendStats));
  socket.on('message', async (data, isBinary) => {
    let request: unknown;
    try {
      request = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      request = undefined;
    }
    // Not even a numbered request: nothing to answer, so the page is broken or not ours.
    if (!isRequest(request)) {
      socket.close(1008, 'Not a bridge request');
      return;
    }
    const reply = await dispatch(request.call, request.args);
    if (socket.readyState !== socket.OPEN) return;
    if (request.call === 'nextPreview' && 'value' in reply && reply.value !== null) socket.send(previewMessage(request.id, reply.value as Preview));
    else socket.send(JSON.stringify({ id: request.id, ...reply }));
  });
}

function main(): void {
  let options;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nUsage: npm run demo:web -- [--resolution 640x360|720p|1080p|4k] [--fps N] [--analyzers N] [--video FILE] [--port N]`);
    process.exit(2);
  }
  const token = randomBytes(16).toString('hex');
  const pipeline = new DemoPipeline(options);
  pipeline.on('worker', (name: string, pid: number) => console.log(`${name} started: pid ${pid}`));
  const pages = rendererDir();
  let origin = '';

  const server = http.createServer((request, response) => {
    const file = STATIC_FILES[new URL(request.url ?? '/', origin).pathname];
    // Only our own name is answered, so a page of another site that
    // rebinds its DNS name to 127.0.0.1 gets nothing.
    if (request.headers.host !== new URL(origin).host || request.method !== 'GET' || file === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file)]!,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'cache-control': 'no-store',
    });
    fs.createReadStream(path.join(pages, file)).pipe(response);
  });

  const bridge = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname !== '/bridge' || url.searchParams.get('token') !== token || request.headers.origin !== origin) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    bridge.handleUpgrade(request, socket, head, (ws) => serveBridge(ws, pipeline));
  });

  server.listen(options.port, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    origin = `http://127.0.0.1:${port}`;
    console.log(`electron-shm demo (web host, Node child processes): open ${origin}/#${token}`);
  });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const client of bridge.clients) client.terminate();
    server.close();
    await pipeline.close();
    console.log('demo stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
