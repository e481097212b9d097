// The demo's web host as a real process: its command line, what it serves
// to whom, and its bridge, which refuses every bad call with a code. (The
// page itself is driven in Chromium by e2e/.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { processGone, ROOT, startWebHost, type WebHostProcess } from '../e2e/web-host-process';
import { pollUntil, SLOWDOWN } from './helpers';

const WEB_HOST = path.join(ROOT, 'dist', 'main', 'demo', 'web-host.js');

interface Reply {
  id?: number;
  value?: unknown;
  error?: { code: string; message: string };
  event?: string;
}

/** A bridge connection as the page makes it. */
class BridgeClient {
  readonly socket: WebSocket;
  readonly #replies = new Map<number, (reply: Reply) => void>();
  #nextId = 1;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        const buffer = data as Buffer;
        this.#replies.get(buffer.readUInt32LE(0))?.({ value: 'binary preview' });
        return;
      }
      const reply = JSON.parse(data.toString()) as Reply;
      if (reply.id !== undefined) this.#replies.get(reply.id)?.(reply);
    });
  }

  static async connect(url: string, { token = new URL(url).hash.slice(1), origin = new URL(url).origin } = {}): Promise<BridgeClient> {
    const socket = new WebSocket(`ws://${new URL(url).host}/bridge?token=${token}`, { origin });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new BridgeClient(socket);
  }

  call(call: unknown, ...args: unknown[]): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#replies.set(id, resolve);
      this.socket.send(JSON.stringify({ id, call, args }));
    });
  }

  async expectCode(code: string, call: unknown, ...args: unknown[]): Promise<void> {
    const reply = await this.call(call, ...args);
    assert.equal(reply.error?.code, code, `${String(call)}(${JSON.stringify(args)}) gave ${JSON.stringify(reply)}`);
  }

  close(): void {
    this.socket.close();
  }
}

function connectionRefusal(url: string, options: { token?: string; origin?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${new URL(url).host}/bridge?token=${options.token ?? new URL(url).hash.slice(1)}`, { origin: options.origin ?? new URL(url).origin });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('The bridge accepted the connection'));
    });
    socket.once('error', () => {});
  });
}

/** Waits for every process in `pids` to be gone, then asserts it. */
async function expectGone(pids: number[], message: string): Promise<void> {
  await pollUntil(() => pids.every(processGone), 5000, 50);
  assert.deepEqual(pids.filter((pid) => !processGone(pid)), [], message);
}

async function stopAndCheck(host: WebHostProcess): Promise<void> {
  const pids = host.workerPids();
  assert.equal(await host.stop(), 0, host.output());
  await expectGone(pids, 'workers left running');
}

describe('the web host command line', () => {
  const badArgs: [string[], RegExp][] = [
    [['--fps', '0'], /--fps takes an integer from 1 to 120/],
    [['--fps', 'fast'], /--fps takes an integer/],
    [['--resolution', '8k'], /--resolution takes one of 640x360, 720p, 1080p, 4k/],
    [['--analyzers', '9'], /--analyzers takes an integer from 0 to 8/],
    [['--port', '70000'], /--port takes an integer from 0 to 65535/],
    [['--video', '/nonexistent/clip.mp4'], /--video takes a video file/],
    [['--video'], /--video takes a video file, and nothing/],
    [['--colour', 'blue'], /Unknown option --colour/],
  ];
  for (const [args, message] of badArgs) {
    it(`Tests that ${args.join(' ')} stops the host with exit code 2 and says why`, () => {
      const run = spawnSync(process.execPath, [WEB_HOST, ...args], { encoding: 'utf8', timeout: 15_000 * SLOWDOWN });
      assert.equal(run.status, 2);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: npm run demo:web/);
    });
  }
});

describe('the web host, killed', () => {
  it('Tests that its worker processes end when the host is killed with SIGKILL', async () => {
    const host = await startWebHost({ args: ['--analyzers', '2'] });
    let pids: number[] = [];
    try {
      await pollUntil(() => host.workerPids().length >= 3, 5000, 50);
      pids = host.workerPids();
      assert.equal(pids.length, 3, host.output());
    } finally {
      process.kill(host.pid, 'SIGKILL');
      await host.stop();
    }
    await expectGone(pids, 'workers left running after their host was killed');
  });
});

describe('the web host', () => {
  let host: WebHostProcess;
  let bridge: BridgeClient;

  before(async () => {
    host = await startWebHost({ args: ['--fps', '30', '--analyzers', '1'] });
    bridge = await BridgeClient.connect(host.url);
  });

  after(async () => {
    bridge?.close();
    if (host) await stopAndCheck(host);
  });

  it('Tests that it serves the page, with a content security policy, only under its own name', async () => {
    const origin = new URL(host.url).origin;
    const page = await fetch(`${origin}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<canvas id="preview"/);
    assert.equal((await fetch(`${origin}/app.js`)).status, 200);
    assert.equal((await fetch(`${origin}/../package.json`)).status, 404);
    assert.equal((await fetch(`${origin}/main/demo/web-host.ts`)).status, 404);
    assert.equal((await fetch(`${origin}/`, { method: 'POST' })).status, 404);
    // A DNS name rebound to 127.0.0.1 arrives with its own Host header.
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get(`${origin}/`, { headers: { host: 'attacker.example' } }, (response) => resolve(response.resume().statusCode ?? 0)).on('error', reject);
    });
    assert.equal(rebound, 404);
  });

  it('Tests that the bridge refuses a connection without the token, or from another origin', async () => {
    assert.equal(await connectionRefusal(host.url, { token: 'wrong' }), 403);
    assert.equal(await connectionRefusal(host.url, { origin: 'http://attacker.example' }), 403);
  });

  it('Tests that every bad call is refused with its code, and the bridge keeps serving', async () => {
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'openFile', '/etc/passwd');
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'constructor');
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'stats', 1);
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'setFps');
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'setFps', 30, 60);
    await bridge.expectCode('ERR_INVALID_ARG_TYPE', 'setFps', '30');
    await bridge.expectCode('ERR_OUT_OF_RANGE', 'setFps', 0);
    await bridge.expectCode('ERR_OUT_OF_RANGE', 'setFps', 121);
    await bridge.expectCode('ERR_OUT_OF_RANGE', 'setFps', 29.5);
    await bridge.expectCode('ERR_INVALID_ARG_TYPE', 'setResolution', 1080);
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'setResolution', '8k');
    await bridge.expectCode('ERR_INVALID_ARG_TYPE', 'setPaused', 'yes');
    await bridge.expectCode('ERR_INVALID_ARG_VALUE', 'addAnalyzer', true);
    const stats = await bridge.call('stats');
    assert.equal((stats.value as { settings: { fps: number } }).settings.fps, 30);
  });

  it('Tests that a message that is not a numbered request closes the connection (1008)', async () => {
    for (const message of ['not json', JSON.stringify({ call: 'stats', args: [] }), JSON.stringify({ id: -1, call: 'stats', args: [] })]) {
      const client = await BridgeClient.connect(host.url);
      const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
      client.socket.send(message);
      assert.equal(await closed, 1008);
    }
  });

  it('Tests that adding a ninth analyzer is refused with ERR_ANALYZER_LIMIT', async () => {
    for (let i = 0; i < 7; i++) assert.equal(typeof (await bridge.call('addAnalyzer')).value, 'number');
    await bridge.expectCode('ERR_ANALYZER_LIMIT', 'addAnalyzer');
    for (let i = 0; i < 7; i++) assert.equal(typeof (await bridge.call('removeAnalyzer')).value, 'number');
  });

  it('Tests that quick resolution changes leave every analyzer on the last one, with whole frames', async () => {
    for (const name of ['1080p', '720p', '4k', '640x360', '1080p']) assert.equal((await bridge.call('setResolution', name)).error, undefined);
    let analyzer: { width: number; received: number; integrityErrors: number } | undefined;
    let receivedAt1080 = -1;
    for (let i = 0; i < 200 * SLOWDOWN; i++) {
      const stats = (await bridge.call('stats')).value as { analyzers: { state: string; width: number; received: number; integrityErrors: number }[] };
      analyzer = stats.analyzers.find((a) => a.state === 'running');
      if (analyzer?.width === 1920 && receivedAt1080 < 0) receivedAt1080 = analyzer.received;
      if (receivedAt1080 >= 0 && analyzer!.received > receivedAt1080 + 10) break;
      await sleep(100);
    }
    assert.equal(analyzer?.width, 1920);
    assert.ok(analyzer!.received > receivedAt1080 + 10, 'the analyzer receives 1080p frames');
    assert.equal(analyzer!.integrityErrors, 0);
    assert.equal((await bridge.call('nextPreview')).error, undefined);
  });
});
