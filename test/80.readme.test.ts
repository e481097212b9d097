import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { finished, TS_LOADER } from './helpers';
import { spawn } from 'node:child_process';

const ROOT = path.join(__dirname, '..');

/** The code block of README.md that follows the line `<!-- example: FILE -->`. */
function readmeBlock(file: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const marker = `<!-- example: ${file} -->`;
  const start = readme.indexOf(marker);
  assert.ok(start >= 0, `README.md has no ${marker}`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(match, `no ts block after ${marker}`);
  return match[1]!;
}

describe('README', () => {
  it('Tests that the README example is examples/readme-example.ts, and that it runs as written', async () => {
    const file = 'examples/readme-example.ts';
    assert.equal(readmeBlock(file), fs.readFileSync(path.join(ROOT, file), 'utf8'));
    const child = spawn(process.execPath, [...TS_LOADER, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await finished(child);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello from main\nhello from child\n');
  });
});
