// Integration tests against a real PostgreSQL (DATABASE_URL) and the built server (dist/):
// run by scripts/ci/backend.sh, which creates a throwaway cluster. Not part of the root `npm test`.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'backend-integration',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/integration/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testTimeout: 30_000,
  // The suites share one database: one at a time.
  maxWorkers: 1,
};
