const path = require('node:path');
const preset = require('../jest.preset');

// End-to-end suites start real processes (memcached, simulator, analyzer, web, Chromium);
// on a 2-core machine they run one file at a time.
module.exports = {
  ...preset,
  rootDir: path.join(__dirname, '..'),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.live\\.test\\.ts$'],
  maxWorkers: 1,
  testTimeout: 120000,
};
