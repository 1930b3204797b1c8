// Unit tests of the shared server code (the drain, the log format). Included by the root jest.config.js.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'server-kit',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    // light-my-request (Fastify's inject) requires the ES module `cookie`: swc turns it into require().
    '/node_modules/cookie/.+\\.c?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
};
