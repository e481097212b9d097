/**
 * scripts/setup.sh, the first half of the README's two commands: it finds
 * what a bare machine lacks. Tried in a mount namespace where the toolchain
 * is hidden (fixtures/hide-toolchain.sh), so that nothing is uninstalled.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { IN_BARE_NAMESPACE, ROOT } from './package-app';

const SETUP = path.join(ROOT, 'scripts', 'setup.sh');
/** The uid and gid of nobody: not root, so the script may only say what is missing. */
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(args[0]!, args.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the set-up script', () => {
  it('Tests that on this machine, set up already, nothing is missing', () => {
    for (const purpose of ['demo', 'test']) {
      const result = run(['bash', SETUP, '--print', purpose]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '', `missing for ${purpose}`);
    }
  });

  it('Tests that without a toolchain it names the Debian packages that provide it', () => {
    const demo = run([...IN_BARE_NAMESPACE, 'bash', SETUP, '--print', 'demo']);
    assert.equal(demo.status, 0, demo.stderr);
    assert.equal(demo.stdout.trim(), 'cmake g++ libuv1-dev');
    const test = run([...IN_BARE_NAMESPACE, 'bash', SETUP, '--print', 'test']);
    assert.equal(test.status, 0, test.stderr);
    assert.equal(test.stdout.trim(), 'binutils cmake g++ g++-aarch64-linux-gnu libgtest-dev libnspr4-dev libuv1-dev');
  });

  it('Tests that a user who is not root is told what to install, and nothing runs', () => {
    const result = run([...IN_BARE_NAMESPACE, ...AS_NOBODY, 'bash', SETUP, 'test']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /missing Debian packages: binutils cmake g\+\+ g\+\+-aarch64-linux-gnu libgtest-dev libnspr4-dev libuv1-dev/);
    assert.match(result.stderr, /apt-get install --no-install-recommends binutils cmake/);
    assert.doesNotMatch(result.stdout + result.stderr, /npm (warn|error)|added \d+ packages/);
  });

  it('Tests that a purpose it does not know is refused with its usage', () => {
    const result = run(['bash', SETUP, 'everything']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: bash scripts\/setup\.sh \[--print\] demo\|test/);
  });
});
