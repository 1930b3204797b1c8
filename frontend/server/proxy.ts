/**
 * The `/api` reverse proxy to the backend (@fastify/http-proxy over undici), for installs where no
 * Ingress routes `/api` (dev's NodePort). Method, path, query, headers and body pass through as they
 * are (bodies streamed, never buffered, compressed responses left compressed); X-Forwarded-For,
 * -Proto and -Host are added. Pooled connections to the backend are dropped after
 * HTTP_TIMEOUTS.clientIdleSeconds idle, before the backend's keep-alive timeout, so the proxy never
 * sends a request on a connection the backend is closing. An unreachable backend gives 502, one that
 * does not answer within `timeoutMs` 504, with a JSON body in the API's error shape.
 */
import httpProxy from '@fastify/http-proxy';
import { HTTP_TIMEOUTS } from '@todo/contract';
import type { FastifyPluginAsync } from 'fastify';

const HOP_BY_HOP = ['keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade'];

export interface ApiProxyOptions {
  upstream: string;
  /** The path prefix proxied (BACKEND.apiPrefix), kept as it is on the way. */
  path: string;
  timeoutMs?: number;
}

export const apiProxy: FastifyPluginAsync<ApiProxyOptions> = async (app, opts) => {
  const target = new URL(opts.upstream);
  const basePath = target.pathname.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  await app.register(httpProxy, {
    upstream: target.origin,
    prefix: opts.path,
    rewritePrefix: basePath + opts.path,
    undici: {
      connections: 128,
      keepAliveTimeout: HTTP_TIMEOUTS.clientIdleSeconds * 1000,
      keepAliveMaxTimeout: HTTP_TIMEOUTS.clientIdleSeconds * 1000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    },
    replyOptions: {
      // Hop-by-hop headers of the backend's connection (RFC 9110 §7.6.1) that reply-from passes on.
      rewriteHeaders: (headers) => {
        const out = { ...headers };
        for (const name of HOP_BY_HOP) delete out[name];
        return out;
      },
      rewriteRequestHeaders: (request, headers) => {
        const remote = request.raw.socket.remoteAddress ?? '';
        const prior = request.headers['x-forwarded-for'];
        return {
          ...headers,
          'x-forwarded-for': prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remote}` : remote,
          'x-forwarded-proto': request.headers['x-forwarded-proto'] ?? request.protocol,
          'x-forwarded-host': request.headers['x-forwarded-host'] ?? request.headers.host ?? '',
        };
      },
      onError: (reply, { error }) => {
        const timedOut = (error as { statusCode?: number }).statusCode === 504;
        reply.log.warn({ url: reply.request.url, upstream: target.origin, error: (error as Error).message }, 'api upstream failed');
        const statusCode = timedOut ? 504 : 502;
        void reply
          .code(statusCode)
          .header('cache-control', 'no-store')
          .send({
            statusCode,
            error: timedOut ? 'Gateway Timeout' : 'Bad Gateway',
            message: timedOut ? 'The API did not answer in time. Please try again.' : 'The API is unreachable right now. Please try again in a moment.',
          });
      },
    },
  });
};
