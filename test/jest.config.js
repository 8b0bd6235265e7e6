const path = require('node:path');
const preset = require('../jest.preset');

// End-to-end suites start real processes (memcached, simulator, analyzer, web, Chromium);
// on a 2-core machine they run one file at a time.
module.exports = {
  ...preset,
  rootDir: path.join(__dirname, '..'),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // test/containers runs with its own config (npm run test:containers): it needs a Docker engine.
  testPathIgnorePatterns: ['/node_modules/', '\\.live\\.test\\.ts$', '<rootDir>/test/containers/'],
  maxWorkers: 1,
  testTimeout: 120000,
};
