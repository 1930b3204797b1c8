/**
 * The production web server as a Fastify app: the built single-page app (@fastify/static, with the
 * .br/.gz files made at build time), index.html with the runtime configuration embedded, the runtime
 * configuration as JSON too, an optional `/api` reverse proxy to the backend (@fastify/http-proxy),
 * the probes, pino logs and the shared SIGTERM drain (@todo/server-kit).
 */
import http from 'node:http';
import { BACKEND, FRONTEND } from '@todo/contract';
import { applyHeadersTimeout, drain, type Lifecycle, logOptions, type LogLevel, requestLog, serverTimeouts, type ShutdownResult } from '@todo/server-kit';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { apiProxy } from './proxy';
import { securityHeaders } from './security';
import { staticFiles } from './static';

export interface FrontendServerOptions {
  /** The Vite build output (index.html, assets/…, and their .br/.gz variants). */
  publicDir: string;
  /** Served to the browser in FRONTEND.runtimeConfigPath and embedded in index.html. */
  apiBaseUrl: string;
  /** When set, BACKEND.apiPrefix/* is proxied there. */
  apiUpstream?: string;
  logLevel?: LogLevel;
  /** Where log lines go (default: standard output). */
  logStream?: { write(line: string): void };
  /** Proxy timeout for one upstream exchange (ms). */
  upstreamTimeoutMs?: number;
}

export interface FrontendServer {
  app: FastifyInstance;
  server: http.Server;
  phase(): ReturnType<Lifecycle['phase']>;
  /** Loads index.html; /readyz answers 200 afterwards. Rejects if the build output is missing. */
  load(): Promise<void>;
  /** The SIGTERM drain (server-kit `drain`). */
  shutdown(opts: { delaySeconds: number; timeoutSeconds: number }): Promise<ShutdownResult>;
}

const json = (statusCode: number, error: string, message: string) => ({ statusCode, error, message });

export function createFrontendServer(opts: FrontendServerOptions): FrontendServer {
  const logger = { ...logOptions('frontend', opts.logLevel ?? 'info'), ...(opts.logStream ? { stream: opts.logStream } : {}) };
  const app = Fastify({
    logger,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: false,
    forceCloseConnections: false,
    ...serverTimeouts,
    routerOptions: { ignoreTrailingSlash: false },
  });
  applyHeadersTimeout(app);
  const security = securityHeaders(opts.apiBaseUrl);
  const runtimeConfig = { apiBaseUrl: opts.apiBaseUrl };
  const apiPrefix = BACKEND.apiPrefix;
  const isApi = (url: string) => url === apiPrefix || url.startsWith(`${apiPrefix}/`) || url.startsWith(`${apiPrefix}?`);

  void app.register(drain);
  void app.register(requestLog, { quietRoutes: [FRONTEND.livenessPath, FRONTEND.readinessPath] });

  // Security headers on every response this server makes itself; proxied API responses keep the backend's.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!(opts.apiUpstream && isApi(request.url))) reply.headers(security);
    done(null, payload);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    const message = status === 400 ? 'The request path is not valid.' : status >= 500 ? 'Unexpected error in the web server.' : err.message;
    return reply.code(status).header('cache-control', 'no-store').send(json(status, http.STATUS_CODES[status] ?? 'Error', message));
  });

  const noStore = { 'cache-control': 'no-store' };
  app.get(FRONTEND.livenessPath, async (_request, reply) => reply.headers(noStore).send({ status: 'ok' }));
  app.get(FRONTEND.readinessPath, async (_request, reply) => {
    const phase = app.lifecycle.phase();
    return reply.code(phase === 'ready' ? 200 : 503).headers(noStore).send({ status: phase });
  });
  app.get(FRONTEND.runtimeConfigPath, async (_request, reply) => reply.headers(noStore).send(runtimeConfig));

  const files = staticFiles(opts.publicDir, runtimeConfig);
  void app.register(files.plugin);

  if (opts.apiUpstream) {
    void app.register(apiProxy, { upstream: opts.apiUpstream, path: apiPrefix, timeoutMs: opts.upstreamTimeoutMs });
  } else {
    app.all(apiPrefix, notServed);
    app.all(`${apiPrefix}/*`, notServed);
  }
  async function notServed(_request: unknown, reply: import('fastify').FastifyReply) {
    return reply.code(404).headers(noStore).send(json(404, 'Not Found', `This server does not serve ${apiPrefix}: route it to the backend (Ingress) or set API_UPSTREAM.`));
  }

  // Everything else is the web app: GET and HEAD only (whatever the body, which is not read).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/*',
      handler: async (request, reply) =>
        reply
          .code(405)
          .headers({ ...noStore, allow: 'GET, HEAD' })
          .send(json(405, 'Method Not Allowed', `${request.method} is not allowed here; this server only serves the web app.`)),
    });
  });
  app.setNotFoundHandler((request, reply) => files.notFound(request, reply));

  return {
    app,
    server: app.server,
    phase: () => (app.hasDecorator('lifecycle') ? app.lifecycle.phase() : 'starting'),
    async load() {
      await app.ready();
      await files.load();
      app.lifecycle.markReady();
    },
    async shutdown(o) {
      if (!app.hasDecorator('lifecycle')) await app.ready();
      return app.lifecycle.shutdown(o);
    },
  };
}
