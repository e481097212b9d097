/** What `npm pack` puts in the package, and what it leaves out. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { packedFiles, ROOT } from './package-app';

describe('the packed package', () => {
  const files = packedFiles();
  const has = (file: string): boolean => files.includes(file);

  it('Tests that it holds the license, the built API with its types and sources, the native sources and both prebuilt binaries', () => {
    for (const file of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/main/lib/index.js',
      'dist/main/lib/index.d.ts',
      'main/lib/index.ts',
      'CMakeLists.txt',
      'native/core/status.h',
      'native/binding/addon.cc',
      'scripts/install.js',
      'prebuilds/linux-x64/electron_shm.node',
      'prebuilds/linux-arm64/electron_shm.node',
    ]) {
      assert.ok(has(file), `${file} is not in the package`);
    }
  });

  it('Tests that it holds no tests, fuzz targets, build directories, demo or development files', () => {
    const unwanted = files.filter((file) =>
      /^(test|e2e|bench\/(?!RESULTS\.md$)|build|build-[a-z-]+|native\/tests|native\/fuzz\/(?!README\.md$)|dist\/main\/demo|main\/demo|dist\/preload|preload|renderer-demo|examples|scripts\/(?!install\.js$)|\.ci|\.cache|node_modules)(\/|$)/.test(file) ||
      /^tsconfig|\.partial$|\.tgz$/.test(file),
    );
    assert.deepEqual(unwanted, []);
  });

  it('Tests that every source map points at sources that are in the package', () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    assert.ok(maps.length > 0, 'no source map: the check would prove nothing');
    for (const map of maps) {
      const { sources } = JSON.parse(fs.readFileSync(path.join(ROOT, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
        assert.ok(has(file), `${map} points at ${file}, which is not in the package`);
      }
    }
  });

  it("Tests that every relative link of the README and of the documents it links to leads to a file in the package", () => {
    const documents = ['README.md', ...files.filter((file) => file.startsWith('docs/') && file.endsWith('.md'))];
    let links = 0;
    for (const document of documents) {
      const text = fs.readFileSync(path.join(ROOT, document), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        links++;
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(document), target!));
        assert.ok(has(file) || files.some((f) => f.startsWith(`${file.replace(/\/$/, '')}/`)), `${document} links to ${target}, which is not in the package`);
      }
    }
    assert.ok(links > 10, `only ${links} relative links found: the check would prove little`);
  });
});
