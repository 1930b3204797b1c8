/**
 * Entry point of the production web server (bundled by esbuild into dist/server.js, which serves
 * dist/public/). Configuration comes only from the environment, parsed by the shared contract.
 */
import path from 'node:path';
import { EnvError, FRONTEND_ENV, loadEnv } from '@todo/contract';
import { shutdownOnSignals } from '@todo/server-kit';
import { createFrontendServer } from './app';

async function main() {
  let env;
  try {
    env = loadEnv(FRONTEND_ENV, process.env);
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`frontend: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const server = createFrontendServer({
    publicDir: path.join(__dirname, 'public'),
    apiBaseUrl: env.apiBaseUrl,
    apiUpstream: env.apiUpstream,
    logLevel: env.logLevel,
  });
  const { app } = server;
  shutdownOnSignals(app, { delaySeconds: env.shutdownDelaySeconds, timeoutSeconds: env.shutdownTimeoutSeconds, marginSeconds: 1 });
  try {
    await app.listen({ port: env.port, host: env.host });
  } catch (err) {
    app.log.error({ error: (err as Error).message }, 'cannot listen');
    process.exit(1);
  }
  app.log.info({ host: env.host, port: env.port, apiBaseUrl: env.apiBaseUrl, apiUpstream: env.apiUpstream ?? null }, 'listening');
  try {
    await server.load();
  } catch (err) {
    app.log.error({ error: (err as Error).message }, 'cannot load the web app');
    process.exit(1);
  }
  app.log.info('ready');
}

void main();
