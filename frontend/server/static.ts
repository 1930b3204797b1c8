/**
 * The built app's files. Everything but index.html is served from disk by @fastify/static, with the
 * .br/.gz files the build made (preCompressed): Vite's content-hashed files under /assets/ are cached
 * for a year, the rest is revalidated. index.html is read once at start, the runtime configuration
 * embedded in its <head> as a JSON data block, and served from memory (compressed once) for `/` and
 * for every client-side route (/tasks, /login, …). A missing file (a name with an extension, or
 * anything under /assets/) is a 404, not the app's shell.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { negotiate } from '@fastify/accept-negotiator';
import fastifyStatic from '@fastify/static';
import { RUNTIME_CONFIG_ELEMENT_ID } from '@todo/contract';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
const CACHE_REVALIDATE = 'no-cache';

interface Page {
  etag: string;
  variants: { identity: Buffer; br: Buffer; gzip: Buffer };
}

/**
 * index.html with `<script id="runtime-config" type="application/json">{…}</script>` before `</head>`.
 * A JSON data block is not executed (the CSP's script-src does not apply to it); every `<` is written
 * as \u003c so that no value can close the element.
 */
export function embedRuntimeConfig(html: string, config: unknown): string {
  const data = JSON.stringify(config).replace(/</g, '\\u003c');
  const tag = `<script id="${RUNTIME_CONFIG_ELEMENT_ID}" type="application/json">${data}</script>`;
  const at = html.search(/<\/head>/i);
  if (at === -1) throw new Error('index.html has no </head>: cannot embed the runtime configuration');
  return html.slice(0, at) + tag + html.slice(at);
}

export function staticFiles(publicDir: string, runtimeConfig: unknown) {
  let page: Page | undefined;

  async function load() {
    let html: string;
    try {
      html = await readFile(path.join(publicDir, 'index.html'), 'utf8');
    } catch (err) {
      throw new Error(`no index.html in ${publicDir}: build the app first (npm run build -w frontend) (${(err as NodeJS.ErrnoException).code})`);
    }
    const identity = Buffer.from(embedRuntimeConfig(html, runtimeConfig));
    const br = brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    // Weak: the compressed variants carry the same tag (they are the same page).
    page = { etag: `W/"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`, variants: { identity, br, gzip: gzipSync(identity, { level: 9 }) } };
  }

  function sendIndex(request: FastifyRequest, reply: FastifyReply) {
    if (!page) {
      return reply
        .code(503)
        .headers({ 'cache-control': 'no-store', 'retry-after': '1' })
        .send({ statusCode: 503, error: 'Service Unavailable', message: 'The web app is still starting. Please try again in a moment.' });
    }
    reply.headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': CACHE_REVALIDATE, etag: page.etag, vary: 'Accept-Encoding' });
    const inm = request.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === page!.etag.slice(2))) return reply.code(304).send();
    const accepted = request.headers['accept-encoding'];
    const encoding = accepted ? (negotiate(accepted.toLowerCase(), ['br', 'gzip']) as 'br' | 'gzip' | null) : null;
    if (encoding) reply.header('content-encoding', encoding);
    return reply.send(page.variants[encoding ?? 'identity']);
  }

  const plugin: FastifyPluginAsync = async (app) => {
    await app.register(fastifyStatic, {
      root: publicDir,
      preCompressed: true,
      index: false,
      serveDotFiles: false,
      cacheControl: false,
      // The variants are served in place of their file, never by their own names; index.html only from memory.
      allowedPath: (p) => !/\.(br|gz)$/.test(p) && p !== '/index.html',
      setHeaders: (reply, file) => reply.header('cache-control', file.startsWith(path.join(publicDir, 'assets') + path.sep) ? CACHE_IMMUTABLE : CACHE_REVALIDATE),
    });
    app.get('/', sendIndex);
    app.get('/index.html', sendIndex);
  };

  /** The app's shell for client-side routes (GET, HEAD); a 404 for missing files and other methods. */
  function notFound(request: FastifyRequest, reply: FastifyReply) {
    const p = request.url.split('?')[0]!;
    const last = p.slice(p.lastIndexOf('/') + 1);
    if ((request.method === 'GET' || request.method === 'HEAD') && !p.startsWith('/assets/') && !last.includes('.')) return sendIndex(request, reply);
    return reply.code(404).headers({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).send(`Not found: ${p}\n`);
  }

  return { plugin, load, notFound };
}
