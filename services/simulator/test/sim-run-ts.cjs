// Runs a TypeScript entry point from source, so tests can spawn the simulator CLI as a separate
// process without depending on a prior `tsc -b` build. Usage: node sim-run-ts.cjs path/to/main.ts
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

// Workspace packages resolve to their sources too (as in jest.preset.js), so no package needs a build.
const Module = require('node:module');
const WORKSPACE_SOURCES = { '@confluence/bybit-wire': path.join(__dirname, '..', '..', '..', 'packages', 'bybit-wire', 'src', 'index.ts') };
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, WORKSPACE_SOURCES[request] ?? request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

require(path.resolve(process.argv[2]));
