/**
 * The list cache as a plugin: `app.taskPages.send(request, reply, params)` answers GET /api/tasks from
 * the per-process cache (src/list-cache.ts) when the user's tasks_version says the cached page is still
 * exact, with ETag / If-None-Match (304), and in the encoding the client accepts.
 */
import { negotiate } from '@fastify/accept-negotiator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createVersionChecker } from '../db/version-batch';
import { type ListParams, searchWords } from '../db/task-store';
import { SESSION_INVALID } from '../db/sql';
import { sessionInvalid } from '../errors';
import { type CachedPage, COMPRESS_MIN_BYTES, type Encoding, LIST_CACHE_DEFAULT_BYTES, ListCache, pageEtag } from '../list-cache';

export interface TaskPages {
  cache: ListCache;
  send(request: FastifyRequest, reply: FastifyReply, params: ListParams): Promise<FastifyReply>;
}

declare module 'fastify' {
  interface FastifyInstance {
    taskPages: TaskPages;
  }
}

/** The cache's key: the user and every parameter that shapes the page, normalised. */
export function listKey(userId: string, p: ListParams): string {
  return [userId, searchWords(p.q ?? '').join(' '), p.status, p.priority ?? '', p.tag ?? '', p.dueFrom ?? '', p.dueTo ?? '', p.sort, p.order, p.page, p.pageSize].join('\n');
}

/** If-None-Match (a list of entity tags, weak or strong, or `*`) names `etag`. */
export function etagMatches(header: string, etag: string): boolean {
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t === '*' || t === etag || (t.startsWith('W/') && t.slice(2) === etag)) return true;
  }
  return false;
}

const ENCODINGS: Encoding[] = ['br', 'gzip'];

export const listCache = fp<{ maxBytes?: number }>(
  (app, opts, done) => {
    const cache = new ListCache(opts.maxBytes ?? LIST_CACHE_DEFAULT_BYTES);
    const versions = createVersionChecker(app.db);

    function sendPage(request: FastifyRequest, reply: FastifyReply, key: string, page: CachedPage) {
      reply.code(200).header('etag', page.etag).header('vary', 'Accept-Encoding').type('application/json; charset=utf-8');
      const accepted = page.body.length >= COMPRESS_MIN_BYTES ? request.headers['accept-encoding'] : undefined;
      const encoding = accepted ? (negotiate(accepted.toLowerCase(), ENCODINGS) as Encoding | null) : null;
      if (!encoding) return reply.send(page.body);
      // Content-Encoding set here: @fastify/compress leaves the body alone.
      return reply.header('content-encoding', encoding).send(cache.variant(key, page, encoding));
    }

    async function send(request: FastifyRequest, reply: FastifyReply, params: ListParams) {
      // JSON text from the database, sent as it is (the shape of TaskPageSchema; see src/db/task-store.ts),
      // or the same bytes from the cache when the user's tasks_version says they are still exact.
      const { sub, sid } = request.claims!;
      const key = listKey(sub, params);
      const cached = cache.get(key);
      const ifNoneMatch = request.headers['if-none-match'];
      if (cached || ifNoneMatch) {
        const version = await versions.check(sub, sid);
        if (version === SESSION_INVALID) throw sessionInvalid();
        const etag = cached?.version === version ? cached.etag : pageEtag(key, version);
        if (ifNoneMatch && etagMatches(ifNoneMatch, etag)) return reply.code(304).header('etag', etag).send();
        if (cached?.version === version) {
          cache.hits++;
          return sendPage(request, reply, key, cached);
        }
      }
      cache.misses++;
      const page = await app.tasks.list(sub, sid, params);
      if (page === SESSION_INVALID) throw sessionInvalid();
      return sendPage(request, reply, key, cache.set(key, page.version, Buffer.from(page.json)));
    }

    app.decorate('taskPages', { cache, send });
    done();
  },
  { name: 'list-cache', dependencies: ['task-store'] },
);
