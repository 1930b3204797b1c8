/**
 * @todo/server-kit — what the two Node servers (backend/ and the frontend's web server in
 * frontend/server/) share, so that each concern is written once: the log format (pino), the SIGTERM
 * drain (`drain`, `shutdownOnSignals`), the HTTP timings and compression. TypeScript source only,
 * bundled into each server by esbuild.
 */
export * from './logger';
export * from './drain';
export * from './http';
export * from './process';
