/**
 * HTTP server settings both servers share: the connection timings of the contract (HTTP_TIMEOUTS,
 * keep-alive longer than the proxies' upstream idle timeouts), a request log line per request, and
 * negotiated compression.
 */
import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import { HTTP_TIMEOUTS } from '@todo/contract';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';

/** Fastify's options for the contract's timings (the headers timeout is set by `applyHeadersTimeout`). */
export const serverTimeouts = {
  keepAliveTimeout: HTTP_TIMEOUTS.keepAliveSeconds * 1000,
  requestTimeout: HTTP_TIMEOUTS.requestSeconds * 1000,
  // No socket inactivity timeout of its own: the request timeout bounds a slow request, the
  // keep-alive timeout an idle connection.
  connectionTimeout: 0,
} satisfies Partial<FastifyServerOptions>;

/** Fastify has no option for Node's headersTimeout: set on the server it created. */
export function applyHeadersTimeout(app: FastifyInstance): void {
  app.server.headersTimeout = HTTP_TIMEOUTS.headersSeconds * 1000;
}

/**
 * gzip or brotli as the client asks (Accept-Encoding), for text bodies of 1 kB and more; brotli at
 * quality 4, which costs about what gzip's default does and compresses better. A response that already
 * has a Content-Encoding (precompressed) is left as it is. Compressed request bodies are accepted too;
 * the body limit applies to their decompressed size.
 */
export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    encodings: ['br', 'gzip'],
    threshold: 1024,
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
}

export interface RequestLogOptions {
  /** Route templates logged at debug (probes, metrics scrapes): frequent, and they say nothing new. */
  quietRoutes: readonly string[];
  /** Called for every response with the route template (metrics). */
  observe?: (method: string, route: string, statusCode: number, seconds: number) => void;
}

/**
 * One log line per request, written after the response: method, URL, route template, status, time and
 * client address; 5xx at error, probes at debug. The fields (request.ip runs the trusted-proxy check)
 * are built only when the line is written.
 */
export const requestLog = fp<RequestLogOptions>(
  (app, opts, done) => {
    const quiet = new Set(opts.quietRoutes);
    // Callback style (no promise per request): it runs on every response.
    app.addHook('onResponse', (request, reply, next) => {
      const route = request.routeOptions.url ?? 'unmatched';
      opts.observe?.(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      const level = quiet.has(route) ? 'debug' : reply.statusCode >= 500 ? 'error' : 'info';
      if ((request.log as typeof request.log & { isLevelEnabled(level: string): boolean }).isLevelEnabled(level)) {
        request.log[level](
          { method: request.method, url: request.url, route, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: request.ip },
          'request completed',
        );
      }
      next();
    });
    done();
  },
  { name: '@todo/server-kit/request-log', fastify: '5.x' },
);
