/**
 * The package as a user gets it: packed with npm into a tarball, and
 * installed into a fresh app with `npm ci --offline`, from npm's cache
 * (which `npm ci` in this repository filled: no network). The app's lock
 * file is made from this repository's, for the package's own dependencies,
 * so that npm needs no registry answer. Used by test/092 to test/096.
 */
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..');

/** Runs the command appended to it in a mount namespace where cmake, the compilers and the C headers are hidden (fixtures/hide-toolchain.sh). */
export const IN_BARE_NAMESPACE = ['unshare', '--mount', '--propagation', 'private', '--', 'bash', path.join(__dirname, 'fixtures', 'hide-toolchain.sh')];

/**
 * npm itself, run by the runtime that runs the test, which comes first in
 * the PATH of the install script too: the install is that runtime's (under
 * emulation, arm64's). The runtimes of the matrix come without npm, so it
 * is the machine's.
 */
const NPM_CLI = path.join(execFileSync('npm', ['root', '--global'], { encoding: 'utf8' }).trim(), 'npm', 'bin', 'npm-cli.js');
const RUNTIME_FIRST_PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}`;

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/** `npm pack` of the repository (its dist/ and prebuilds/ as they are) into `dir`; the tarball's path. */
export function pack(dir: string): string {
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim();
  return path.join(dir, name.split('\n').pop()!);
}

/** What `npm pack` would put in the tarball. */
export function packedFiles(): string[] {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(json) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
}

export interface App {
  dir: string;
  /** What npm printed while installing, the install script's lines among it. */
  installOutput: string;
  /** Runs node in the app. */
  node(args: string[], options?: SpawnSyncOptions): ReturnType<typeof spawnSync>;
  remove(): void;
}

/**
 * A fresh app in a temporary directory whose one dependency is the packed
 * package, installed by `npm ci --offline` (`npmArgs` adds to it, e.g.
 * --ignore-scripts). `wrap` runs npm inside something (a mount namespace).
 */
export function installApp(tag: string, npmArgs: string[] = [], wrap: string[] = []): App {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eshm-app-${tag}-`));
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const tarball = pack(dir);
    const name = path.basename(tarball);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const integrity = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
    const packages: Record<string, unknown> = {
      '': { name: 'app', dependencies: { 'electron-shm': `file:${name}` } },
      'node_modules/electron-shm': {
        version: pkg.version,
        resolved: `file:${name}`,
        integrity,
        hasInstallScript: true,
        license: pkg.license,
        os: pkg.os,
        engines: pkg.engines,
        dependencies: pkg.dependencies,
      },
    };
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (key.startsWith('node_modules/') && !entry.dev && !entry.devOptional) packages[key] = entry;
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies: { 'electron-shm': `file:${name}` } }, null, 2));
    fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }, null, 2));
    const npm = [process.execPath, NPM_CLI, 'ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', ...npmArgs];
    const [command, ...args] = [...wrap, ...npm];
    const install = spawnSync(command!, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: RUNTIME_FIRST_PATH } });
    if (install.status !== 0) throw new Error(`npm ci in the app failed (${install.status}):\n${install.stdout}\n${install.stderr}`);
    return {
      dir,
      installOutput: install.stdout + install.stderr,
      node: (nodeArgs, options = {}) => spawnSync(process.execPath, nodeArgs, { cwd: dir, encoding: 'utf8', ...options }),
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}
