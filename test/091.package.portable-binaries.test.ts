/**
 * The prebuilt binaries (scripts/prebuild.js) load on every Linux the
 * package claims: glibc 2.28 and later, any libstdc++ or none. Their symbol
 * versions and needed libraries are read with objdump, which reads x86-64
 * and AArch64 files alike. `npm test` builds them before the suites run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '..');
/** The oldest glibc the binaries must load on (RHEL 8, Debian 10). */
const GLIBC_FLOOR = [2, 28];
/** Libraries every glibc system has; libgcc_s's GCC_ versions are older than any glibc 2.28 system's GCC. */
const SYSTEM_LIBRARIES = new Set(['libc.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libpthread.so.0', 'libdl.so.2', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1']);
const GCC_FLOOR = [7, 0];
/** e_machine of the ELF header (Debian's objdump names no foreign architecture). */
const ARCHES = [
  { arch: 'x64', machine: 'x86-64', eMachine: 62 },
  { arch: 'arm64', machine: 'AArch64', eMachine: 183 },
];

function binaryOf(arch: string): string {
  const file = path.join(ROOT, 'prebuilds', `linux-${arch}`, 'electron_shm.node');
  assert.ok(fs.existsSync(file), `${file} is missing: build it with node scripts/prebuild.js`);
  return file;
}

function newer(version: string, floor: number[]): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < Math.max(parts.length, floor.length); i++) {
    const a = parts[i] ?? 0;
    const b = floor[i] ?? 0;
    if (a !== b) return a > b;
  }
  return false;
}

/** Every versioned symbol the binary needs: "GLIBC_2.17 memcpy". */
function versionedSymbols(file: string): { family: string; version: string; symbol: string }[] {
  const table = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  const found = [];
  for (const line of table.split('\n')) {
    const match = /\(?\b(GLIBC|GLIBCXX|CXXABI|GCC)_([0-9][0-9.]*)\)?\s+(\S+)$/.exec(line);
    if (match) found.push({ family: match[1]!, version: match[2]!, symbol: match[3]! });
  }
  return found;
}

describe('the prebuilt binaries', () => {
  for (const { arch, machine, eMachine } of ARCHES) {
    it(`Tests that the linux-${arch} binary is an ${machine} file needing no glibc after 2.28 and no libstdc++`, () => {
      const file = binaryOf(arch);
      const header = Buffer.alloc(20);
      const fd = fs.openSync(file, 'r');
      try {
        fs.readSync(fd, header, 0, header.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(header.toString('latin1', 0, 4), '\x7fELF');
      assert.equal(header[4], 2, 'a 64-bit ELF file');
      assert.equal(header.readUInt16LE(18), eMachine, `an ${machine} ELF file`);

      const symbols = versionedSymbols(file);
      assert.ok(symbols.some((s) => s.family === 'GLIBC'), 'objdump found no glibc symbol: the check would prove nothing');
      const tooNew = symbols.filter(
        (s) => s.family === 'GLIBCXX' || s.family === 'CXXABI' || (s.family === 'GLIBC' && newer(s.version, GLIBC_FLOOR)) || (s.family === 'GCC' && newer(s.version, GCC_FLOOR)),
      );
      assert.deepEqual(tooNew.map((s) => `${s.symbol}@${s.family}_${s.version}`), [], 'symbols a glibc 2.28 system or its libgcc_s lacks, or libstdc++ symbols');

      const needed = [...execFileSync('objdump', ['-p', file], { encoding: 'utf8' }).matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]!);
      assert.ok(needed.includes('libc.so.6'), `needed: ${needed.join(', ')}`);
      assert.deepEqual(needed.filter((name) => !SYSTEM_LIBRARIES.has(name)), [], 'libraries beyond glibc and libgcc_s (libstdc++ must be inside)');
    });
  }

  it(`Tests that the binary of this machine (linux-${process.arch}) loads in this Node`, () => {
    const file = binaryOf(process.arch);
    const script = `const addon = require(${JSON.stringify(file)}); console.log(typeof addon)`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'object');
  });
});
