const preset = require('./jest.preset');

module.exports = {
  ...preset,
  rootDir: __dirname,
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/services/*/test/**/*.test.ts', '<rootDir>/scripts/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.live\\.test\\.ts$'],
};
