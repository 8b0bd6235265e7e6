// Runs a TypeScript entry point from source, so tests can spawn the simulator CLI as a separate
// process without depending on a prior `tsc -b` build. Usage: node sim-run-ts.cjs path/to/main.ts
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

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
