/**
 * The OpenAPI 3.1 document, generated from the routes' own Fastify schemas (the ones that validate
 * requests and serialise responses), so it cannot drift from what the server does.
 */
import { STATUS_CODES } from 'node:http';
import { BACKEND } from '@todo/contract';
import type { RouteOptions } from 'fastify';
import { NAMED_SCHEMAS } from './schemas';

export interface RouteDoc {
  method: string | string[];
  url: string;
  schema?: {
    summary?: string;
    description?: string;
    tags?: string[];
    security?: unknown[];
    body?: unknown;
    querystring?: unknown;
    params?: unknown;
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

function parameters(schema: unknown, where: 'query' | 'path') {
  const s = schema as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), ...(description ? { description } : {}), schema: refs(rest, false) };
  });
}

export function openApiDocument(routes: readonly RouteDoc[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const s = r.schema ?? {};
      const responses = Object.fromEntries(
        Object.entries(s.response ?? { 200: undefined }).map(([code, body]) => [
          code,
          {
            description: STATUS_CODES[Number(code)] ?? code,
            ...(body ? { content: { 'application/json': { schema: refs(body, false) } } } : {}),
          },
        ]),
      );
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = {
        ...(s.summary ? { summary: s.summary } : {}),
        ...(s.description ? { description: s.description } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
        ...(s.security ? { security: s.security } : {}),
        parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
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
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

export const toRouteDoc = (r: RouteOptions): RouteDoc => ({ method: r.method as string | string[], url: r.url, schema: r.schema as RouteDoc['schema'] });
