import http from 'node:http';
import { BACKEND, FRONTEND } from '@todo/contract';
import { type Asset, chooseEncoding, loadAssets } from './assets';
import { type Logger, silentLogger } from './log';
import { type ApiProxy, createApiProxy } from './proxy';
import { securityHeaders } from './security';

export interface FrontendServerOptions {
  /** The Vite build output (index.html, assets/…, and their .br/.gz variants). */
  publicDir: string;
  /** Served to the browser in FRONTEND.runtimeConfigPath. */
  apiBaseUrl: string;
  /** When set, BACKEND.apiPrefix/* is proxied there. */
  apiUpstream?: string;
  shutdownDelaySeconds: number;
  shutdownTimeoutSeconds: number;
  log?: Logger;
  /** Proxy timeout for one upstream exchange (ms). */
  upstreamTimeoutMs?: number;
}

export type Phase = 'starting' | 'ready' | 'draining' | 'closing' | 'closed';

export interface FrontendServer {
  server: http.Server;
  phase(): Phase;
  /** Loads the assets; /readyz answers 200 afterwards. Rejects if the build output is missing. */
  load(): Promise<void>;
  /**
   * The SIGTERM sequence: /readyz 503 at once; keep serving for shutdownDelaySeconds; stop
   * accepting; let in-flight requests finish (at most shutdownTimeoutSeconds, then their
   * connections are cut). Resolves with `true` when everything finished in time.
   */
  shutdown(): Promise<boolean>;
}

const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
const CACHE_REVALIDATE = 'no-cache';
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|manifest\+json)|image\/svg\+xml)/;

export function createFrontendServer(opts: FrontendServerOptions): FrontendServer {
  const log = opts.log ?? silentLogger;
  const security = securityHeaders(opts.apiBaseUrl);
  const proxy: ApiProxy | undefined = opts.apiUpstream ? createApiProxy(opts.apiUpstream, log, opts.upstreamTimeoutMs) : undefined;
  const runtimeConfig = { apiBaseUrl: opts.apiBaseUrl };
  const apiPrefix = BACKEND.apiPrefix;
  let assets: Map<string, Asset> | undefined;
  let phase: Phase = 'starting';
  let inFlight = 0;

  function send(req: http.IncomingMessage, res: http.ServerResponse, status: number, headers: Record<string, string | number>, body: Buffer | string) {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...security, ...headers, 'Content-Length': buf.length });
    res.end(req.method === 'HEAD' ? undefined : buf);
  }

  function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}) {
    send(req, res, status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra }, JSON.stringify(value));
  }

  function sendError(req: http.IncomingMessage, res: http.ServerResponse, statusCode: number, error: string, message: string, extra: Record<string, string> = {}) {
    sendJson(req, res, statusCode, { statusCode, error, message }, extra);
  }

  function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, asset: Asset) {
    const compressible = COMPRESSIBLE.test(asset.contentType);
    const encoding = chooseEncoding(asset, req.headers['accept-encoding']);
    const v = encoding === 'identity' ? asset.identity : asset[encoding]!;
    const headers: Record<string, string> = {
      'Content-Type': asset.contentType,
      'Cache-Control': asset.immutable ? CACHE_IMMUTABLE : CACHE_REVALIDATE,
      ETag: v.etag,
    };
    if (compressible) headers.Vary = 'Accept-Encoding';
    if (encoding !== 'identity') headers['Content-Encoding'] = encoding;
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === v.etag)) {
      res.writeHead(304, { ...security, ...headers });
      res.end();
      return;
    }
    send(req, res, 200, headers, v.body);
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);

    if (rawPath === FRONTEND.livenessPath && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(req, res, 200, { status: 'ok' });
    }
    if (rawPath === FRONTEND.readinessPath && (req.method === 'GET' || req.method === 'HEAD')) {
      return phase === 'ready' ? sendJson(req, res, 200, { status: 'ready' }) : sendJson(req, res, 503, { status: phase });
    }
    if (rawPath === apiPrefix || rawPath.startsWith(`${apiPrefix}/`)) {
      if (proxy) return proxy.handle(req, res);
      return sendError(req, res, 404, 'Not Found', `This server does not serve ${apiPrefix}: route it to the backend (Ingress) or set API_UPSTREAM.`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(req, res, 405, 'Method Not Allowed', `${req.method} is not allowed here; this server only serves the web app.`, { Allow: 'GET, HEAD' });
    }
    if (rawPath === FRONTEND.runtimeConfigPath) {
      return sendJson(req, res, 200, runtimeConfig);
    }
    if (!assets) {
      return sendError(req, res, 503, 'Service Unavailable', 'The web app is still starting. Please try again in a moment.', { 'Retry-After': '1' });
    }
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return sendError(req, res, 400, 'Bad Request', 'The request path is not valid percent-encoding.');
    }
    const asset = assets.get(path === '/' ? '/index.html' : path);
    if (asset) return sendAsset(req, res, asset);
    // A request for a file (a name with an extension, or anything under /assets/) that does not
    // exist is a 404: answering index.html there would hide broken links behind a MIME error.
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (path.startsWith('/assets/') || last.includes('.')) {
      return send(req, res, 404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, `Not found: ${path}\n`);
    }
    // SPA fallback: client-side routes (/tasks, /login, …) get the app's shell.
    return sendAsset(req, res, assets.get('/index.html')!);
  }

  const server = http.createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (phase === 'closing') server.closeIdleConnections();
    });
    // Once the listener is closed, tell keep-alive clients to reconnect (to another replica).
    if (phase === 'closing') res.setHeader('Connection', 'close');
    try {
      handle(req, res);
    } catch (err) {
      log.error('request failed', { url: req.url, error: (err as Error).message });
      if (!res.headersSent) sendError(req, res, 500, 'Internal Server Error', 'Unexpected error in the web server.');
      else res.destroy();
    }
  });
  // Slow or idle clients cannot hold a connection (or a drain) open for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  let shutdownPromise: Promise<boolean> | undefined;

  return {
    server,
    phase: () => phase,
    async load() {
      assets = await loadAssets(opts.publicDir);
      if (phase === 'starting') phase = 'ready';
    },
    shutdown() {
      shutdownPromise ??= new Promise<boolean>((resolve) => {
        phase = 'draining';
        log.info('shutdown: readiness now 503', { delaySeconds: opts.shutdownDelaySeconds, inFlight });
        setTimeout(() => {
          phase = 'closing';
          log.info('shutdown: no longer accepting connections', { inFlight });
          const deadline = setTimeout(() => {
            log.warn('shutdown: drain timeout, closing remaining connections', { inFlight });
            server.closeAllConnections();
            proxy?.close();
            resolve(false);
          }, opts.shutdownTimeoutSeconds * 1000);
          deadline.unref();
          server.close(() => {
            clearTimeout(deadline);
            proxy?.close();
            phase = 'closed';
            log.info('shutdown: drained');
            resolve(true);
          });
          server.closeIdleConnections();
        }, opts.shutdownDelaySeconds * 1000);
      });
      return shutdownPromise;
    },
  };
}
