/**
 * The OpenAPI 3.1 document at BACKEND.openApiPath, generated from the routes' own Fastify schemas
 * (the ones that validate requests and serialise responses), so it cannot drift from what the server
 * does; and 405 Method Not Allowed with `Allow` for a path that exists under other methods (404 for
 * paths that do not exist at all). Registered before the routes: both learn them from `onRoute`.
 */
import { BACKEND } from '@todo/contract';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { apiError } from '../errors';
import { openApiDocument, type RouteDoc, toRouteDoc } from '../openapi';

export const API_VERSION = '1.1.0';

declare module 'fastify' {
  interface FastifyInstance {
    /** The answer for a request no route takes: 405 with Allow when the path has other methods, else 404. */
    noRoute(request: FastifyRequest, reply: FastifyReply): FastifyReply;
  }
}
const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

export const openapi = fp(
  (app, _opts, done) => {
    const routes: RouteDoc[] = [];
    const router = FindMyWay({ ignoreTrailingSlash: true });
    app.addHook('onRoute', (r: RouteOptions) => {
      routes.push(toRouteDoc(r));
      for (const m of [r.method].flat()) router.on(m as HTTPMethod, r.url, () => {});
    });

    let document: unknown;
    app.get(
      BACKEND.openApiPath,
      { schema: { summary: 'This OpenAPI document', tags: ['operations'], response: { 200: { type: 'object', additionalProperties: true } } } },
      async () => (document ??= openApiDocument(routes, API_VERSION)),
    );

    const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0]!;
      const allowed = METHODS.filter((m) => router.find(m, path));
      if (allowed.length > 0) {
        return reply
          .code(405)
          .header('allow', allowed.join(', '))
          .send(apiError(405, `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}.`));
      }
      return reply.code(404).send(apiError(404, `There is no ${request.method} ${path} route.`));
    };
    app.decorate('noRoute', noRoute);
    app.setNotFoundHandler(noRoute);
    done();
  },
  { name: 'openapi' },
);
