// Loads the repository's TypeScript from JavaScript compiled beforehand,
// for the suite under emulation (scripts/test-emulated.sh): there, tsx
// costs every process about 2.5 s of start-up (its loader thread and its
// compiler), and the suite starts hundreds of processes.
//
//   node --require ./scripts/ts-precompiled.js FILE.ts
//
// scripts/test-emulated.sh compiles every .ts file of the repository with
// esbuild into .cache/ts-precompiled, at the same relative path. As with
// tsx, require('./helpers') finds helpers.ts (a registered extension), and
// require('./errors.js') finds errors.ts where no errors.js exists (the
// import style of main/, for tsc's NodeNext output).
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveTypeScript(request, parent, ...rest) {
  try {
    return resolveFilename.call(this, request, parent, ...rest);
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND' || !/^\.\.?\/.*\.js$/.test(request)) throw error;
    return resolveFilename.call(this, request.replace(/\.js$/, '.ts'), parent, ...rest);
  }
};

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, '.cache', 'ts-precompiled');

require.extensions['.ts'] = function loadPrecompiled(module, filename) {
  const relative = path.relative(ROOT, filename);
  const compiled = path.join(OUT, relative.replace(/\.ts$/, '.js'));
  let source;
  try {
    source = fs.readFileSync(compiled, 'utf8');
  } catch (error) {
    throw new Error(`${relative} has no precompiled JavaScript (${compiled}: ${error.code}); scripts/test-emulated.sh compiles it`);
  }
  module._compile(source, filename);
};
