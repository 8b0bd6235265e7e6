// Shared jest settings: swc transforms TypeScript (type checking is `tsc -b`'s job), and
// workspace packages resolve to their sources so unit tests never need a prior build.
const path = require('node:path');

const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // ESM-only dependencies are transformed to CommonJS for jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!(trading-signals|big\\.js)/)'],
  moduleNameMapper: {
    '^@confluence/(contracts|bybit-wire|cache|config|logger|confluence|testkit)$': path.join(__dirname, 'packages/$1/src'),
    '^@confluence/(analyzer|simulator)$': path.join(__dirname, 'services/$1/src'),
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
