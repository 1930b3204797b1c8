// One `npx jest` runs every fast suite: the infrastructure (test/), the ops tool (ops/), and the
// application workspaces' unit tests. Slow suites (real PostgreSQL, browser, images, cluster) have
// their own scripts and run from .ci/run.
const fs = require('node:fs');
const path = require('node:path');

const workspaceProjects = ['server-kit', 'backend', 'frontend']
  .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'jest.config.js')))
  .map((dir) => `<rootDir>/${dir}`);

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'infra',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/ops/**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
    },
    ...workspaceProjects,
  ],
};
