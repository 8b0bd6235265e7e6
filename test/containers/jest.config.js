const path = require('node:path');
const preset = require('../../jest.preset');

// The container test (npm run test:containers): one file, real Docker engine, long steps.
module.exports = {
  ...preset,
  rootDir: path.join(__dirname, '..', '..'),
  testMatch: ['<rootDir>/test/containers/**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 15 * 60_000,
};
