// Fast unit tests of the API (Fastify `inject` over embedded PGlite in memory, one database per
// file) and of its parts. Included by the root jest.config.js. The PostgreSQL integration suite
// (jest.integration.config.js) runs from scripts/ci/backend.sh.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'backend',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    // Two dependencies that jest's CommonJS sandbox cannot load as they are (Node 20, no
    // --experimental-vm-modules): PGlite's CommonJS build imports node built-ins with import(), and
    // light-my-request (Fastify's inject) requires the ES module `cookie`; temporal-polyfill (the
    // contract's recurrence module) and its temporal-utils are ES modules only. swc turns them into require().
    '/node_modules/(@electric-sql/pglite|cookie|temporal-polyfill|temporal-utils)/.+\\.c?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@electric-sql/pglite|cookie|temporal-polyfill|temporal-utils)/)'],
};
