// Integration tests against a real PostgreSQL (DATABASE_URL) and the built server (dist/):
// run by scripts/ci/backend.sh, which creates a throwaway cluster. Not part of the root `npm test`.
const unit = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  displayName: 'backend-integration',
  testMatch: ['<rootDir>/test/integration/*.test.ts'],
  testTimeout: 30_000,
  // The suites share one cluster and spawn servers: one at a time keeps the timings honest.
  maxWorkers: 1,
};
