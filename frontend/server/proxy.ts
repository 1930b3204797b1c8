import http from 'node:http';
import https from 'node:https';
import type { Logger } from './log';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function stripHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ApiProxy {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  close(): void;
}

/**
 * A streaming reverse proxy to the backend: method, path, query, headers and body are passed
 * through unchanged (bodies are piped, never buffered); X-Forwarded-For/-Proto/-Host are added.
 * An unreachable upstream gives 502 (504 after `timeoutMs` without a response) with a JSON body in
 * the API's error shape, so the app shows a clear message instead of a parse error.
 */
export function createApiProxy(upstream: string, log: Logger, timeoutMs = 30_000): ApiProxy {
  const target = new URL(upstream);
  const isHttps = target.protocol === 'https:';
  const agent = isHttps ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const basePath = target.pathname.replace(/\/+$/, '');

  function fail(res: http.ServerResponse, statusCode: 502 | 504, message: string) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ statusCode, error: statusCode === 502 ? 'Bad Gateway' : 'Gateway Timeout', message });
    res.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  }

  return {
    handle(req, res) {
      const headers = stripHopByHop(req.headers);
      const remote = req.socket.remoteAddress ?? '';
      const prior = req.headers['x-forwarded-for'];
      headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remote}` : remote;
      headers['x-forwarded-proto'] = req.headers['x-forwarded-proto'] ?? ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http');
      headers['x-forwarded-host'] = req.headers['x-forwarded-host'] ?? req.headers.host ?? '';
      headers.host = target.host;

      const started = Date.now();
      const upstreamReq = (isHttps ? https : http).request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port || (isHttps ? 443 : 80),
        method: req.method,
        path: basePath + (req.url ?? '/'),
        headers,
        agent,
      });
      upstreamReq.setTimeout(timeoutMs, () => {
        upstreamReq.destroy(new Error('upstream timeout'));
      });
      upstreamReq.on('response', (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, stripHopByHop(upstreamRes.headers));
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
        log.debug('proxied', { method: req.method, url: req.url, status: upstreamRes.statusCode, ms: Date.now() - started });
      });
      upstreamReq.on('error', (err) => {
        const timedOut = err.message === 'upstream timeout';
        log.warn('api upstream failed', { method: req.method, url: req.url, upstream: target.origin, error: err.message });
        fail(
          res,
          timedOut ? 504 : 502,
          timedOut ? 'The API did not answer in time. Please try again.' : 'The API is unreachable right now. Please try again in a moment.',
        );
      });
      // The client went away before the exchange finished: abandon the upstream request too.
      res.on('close', () => {
        if (!res.writableFinished) upstreamReq.destroy();
      });
      req.pipe(upstreamReq);
    },
    close() {
      agent.destroy();
    },
  };
}
