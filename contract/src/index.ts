/**
 * @todo/contract — the single source of truth shared by the application code (backend/, frontend/)
 * and the infrastructure code (charts/). Ports, HTTP paths, shutdown timings, the runtime user,
 * every environment variable and the API's data types are defined here once, so the manifests and
 * the code that serves them cannot drift apart.
 *
 * This package is TypeScript source only: every consumer bundles it (esbuild, Vite) or transforms
 * it (jest/swc, tsx). This entry must stay free of runtime dependencies and of Node-only APIs so that
 * the browser bundle can import it too; `@todo/contract/recurrence` (the calendar arithmetic of
 * recurring tasks, on temporal-polyfill) is a separate entry for the application code.
 */
export * from './runtime';
export * from './env';
export * from './api';
