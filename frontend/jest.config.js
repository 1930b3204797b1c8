// Fast unit tests of the web server (server/) and of the client logic that is not just markup
// (src/query.ts, src/api.ts, src/config.ts, src/tags.ts, src/dates.ts, src/tasks/changes.ts).
// Included by the root jest.config.js; the browser end-to-end test is separate (e2e/run.ts,
// scripts/ci/frontend-e2e.sh).
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'frontend',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } },
    ],
    // Dependencies of the web server published as ES modules, which jest's CommonJS sandbox cannot
    // load as they are (Node 20), and temporal-polyfill (the contract's recurrence module) with its
    // temporal-utils: swc turns them into require().
    '/node_modules/(content-disposition|cookie|temporal-polyfill|temporal-utils)/.+\\.c?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|cookie|temporal-polyfill|temporal-utils)/)'],
};
