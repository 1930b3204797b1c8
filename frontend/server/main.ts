/**
 * Entry point of the production web server (bundled by esbuild into dist/server.js, which serves
 * dist/public/). Configuration comes only from the environment, parsed by the shared contract.
 */
import path from 'node:path';
import { EnvError, FRONTEND_ENV, loadEnv } from '@todo/contract';
import { createFrontendServer } from './app';
import { createLogger } from './log';

function main() {
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
  const log = createLogger(env.logLevel);
  const app = createFrontendServer({
    publicDir: path.join(__dirname, 'public'),
    apiBaseUrl: env.apiBaseUrl,
    apiUpstream: env.apiUpstream,
    shutdownDelaySeconds: env.shutdownDelaySeconds,
    shutdownTimeoutSeconds: env.shutdownTimeoutSeconds,
    log,
  });

  app.server.on('error', (err) => {
    log.error('server error', { error: err.message });
    process.exit(1);
  });
  app.server.listen(env.port, env.host, () => {
    log.info('listening', { host: env.host, port: env.port, apiBaseUrl: env.apiBaseUrl, apiUpstream: env.apiUpstream ?? null });
  });
  app.load().then(
    () => log.info('ready'),
    (err: Error) => {
      log.error('cannot load the web app', { error: err.message });
      process.exit(1);
    },
  );

  const onSignal = (signal: NodeJS.Signals) => {
    log.info('signal received', { signal });
    // Exit 0 either way: a drain cut short by the timeout is logged, not an error of the process.
    void app.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

main();
