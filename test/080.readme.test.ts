import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { finished, TS_LOADER } from './helpers';
import { spawn } from 'node:child_process';

const ROOT = path.join(__dirname, '..');

/** The code block of `doc` that follows the line `<!-- example: FILE -->`. */
function exampleBlock(doc: string, file: string): string {
  const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
  const marker = `<!-- example: ${file} -->`;
  const start = text.indexOf(marker);
  assert.ok(start >= 0, `${doc} has no ${marker}`);
  const match = /```ts\n([\s\S]*?)```/.exec(text.slice(start));
  assert.ok(match, `no ts block after ${marker}`);
  return match[1]!;
}

/** Runs an example as a user would (from the repository root) and returns what it printed. */
async function runExample(file: string): Promise<string> {
  const child = spawn(process.execPath, [...TS_LOADER, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe('examples in the documentation', () => {
  it('Tests that the README example is examples/readme-example.ts, and that it runs as written', async () => {
    const file = 'examples/readme-example.ts';
    assert.equal(exampleBlock('README.md', file), fs.readFileSync(path.join(ROOT, file), 'utf8'));
    assert.equal(await runExample(file), 'hello from main\nhello from child\n');
  });

  it('Tests that the video frame example of docs/api.md is examples/video-frames.ts, and that its utility process receives every frame', async () => {
    const file = 'examples/video-frames.ts';
    assert.equal(exampleBlock('docs/api.md', file), fs.readFileSync(path.join(ROOT, file), 'utf8'));
    assert.equal(await runExample(file), 'frame 1: 640x360, first byte 10\nframe 2: 640x360, first byte 20\nframe 3: 640x360, first byte 30\n');
  });

  it('Tests that the request/response example of docs/api.md is examples/request-response.ts, and that its utility process answers in place', async () => {
    const file = 'examples/request-response.ts';
    assert.equal(exampleBlock('docs/api.md', file), fs.readFileSync(path.join(ROOT, file), 'utf8'));
    // Each round squares i * round for every i: 3² · round², and 1023² · round².
    assert.equal(await runExample(file), 'round 1: 9 1046529\nround 2: 36 4186116\nround 3: 81 9418761\n');
  });
});
