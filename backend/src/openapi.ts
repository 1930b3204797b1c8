/**
 * The OpenAPI 3.1 document, built from the routes' Fastify schemas (src/plugins/openapi.ts serves it):
 * named schemas become `$ref`s to `components.schemas`, request headers, query and path parameters
 * become `parameters`, responses without a body (204, 304, 412's siblings) get no content, and the
 * `responseHeaders` keyword documents headers such as ETag, Location and Retry-After.
 */
import { STATUS_CODES } from 'node:http';
import { BACKEND, SESSION_COOKIE } from '@todo/contract';
import type { RouteOptions } from 'fastify';
import { NAMED_SCHEMAS } from './schemas';

export interface HeaderDoc {
  description: string;
  schema?: object;
}

/** Documentation keywords of a route schema, used by the OpenAPI document only. */
export interface DocKeywords {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  /** The media type of a 200 body that is not JSON (the metrics). */
  produces?: string[];
  /** Response headers by status code. */
  responseHeaders?: Record<number, Record<string, HeaderDoc>>;
}

declare module 'fastify' {
  interface FastifySchema extends DocKeywords {}
}

export interface RouteDoc {
  method: string | string[];
  url: string;
  schema?: DocKeywords & {
    body?: unknown;
    querystring?: unknown;
    params?: unknown;
    headers?: unknown;
    response?: Record<string, unknown>;
  };
}

const byIdentity = new Map<unknown, string>(Object.entries(NAMED_SCHEMAS).map(([name, s]) => [s, name]));

/** Replaces every named schema (by identity) with a `$ref`, recursively. */
function refs(schema: unknown, top = true): unknown {
  if (!top && byIdentity.has(schema)) return { $ref: `#/components/schemas/${byIdentity.get(schema)}` };
  if (Array.isArray(schema)) return schema.map((s) => refs(s, false));
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, refs(v, false)]));
  }
  return schema;
}

function parameters(schema: unknown, where: 'query' | 'path' | 'header') {
  const s = schema as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), ...(description ? { description } : {}), schema: refs(rest, false) };
  });
}

const noBody = (schema: unknown) => (schema as { type?: unknown } | undefined)?.type === 'null';

export function openApiDocument(routes: readonly RouteDoc[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const s = r.schema ?? {};
      const responses = Object.fromEntries(
        Object.entries(s.response ?? { 200: undefined }).map(([code, body]) => {
          const headers = s.responseHeaders?.[Number(code)];
          const media = code === '200' && s.produces ? s.produces : ['application/json'];
          return [
            code,
            {
              description: STATUS_CODES[Number(code)] ?? code,
              ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([n, h]) => [n, { description: h.description, schema: h.schema ?? { type: 'string' } }])) } : {}),
              ...(body && !noBody(body) ? { content: Object.fromEntries(media.map((m) => [m, { schema: refs(body, false) }])) } : {}),
            },
          ];
        }),
      );
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = {
        ...(s.summary ? { summary: s.summary } : {}),
        ...(s.description ? { description: s.description } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
        ...(s.security ? { security: s.security } : {}),
        parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query'), ...parameters(s.headers, 'header')],
        ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: refs(s.body, false) } } } } : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Todo API',
      version,
      description: `Accounts and personal task lists. Every route is below ${BACKEND.apiPrefix}; errors are { statusCode, error, message }.`,
    },
    servers: [{ url: '/' }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: Object.fromEntries(Object.entries(NAMED_SCHEMAS).map(([name, s]) => [name, refs(s, true)])),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token of a Session (short-lived)' },
        refreshCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE.name,
          description: `The session's refresh cookie (HttpOnly, Secure, SameSite=Strict, Path=${SESSION_COOKIE.path}), set by log-in, sign-up and refresh; ${SESSION_COOKIE.insecureName} where SESSION_COOKIE_SECURE=auto leaves Secure off`,
        },
      },
    },
  };
}

export const toRouteDoc = (r: RouteOptions): RouteDoc => ({ method: r.method as string | string[], url: r.url, schema: r.schema as RouteDoc['schema'] });
