import { rmSync } from 'node:fs';
import http from 'node:http';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { FRONTEND, HTTP_TIMEOUTS, RUNTIME_CONFIG_ELEMENT_ID } from '@todo/contract';
import { createFrontendServer, type FrontendServer } from '../server/app';
import { embedRuntimeConfig } from '../server/static';
import { close, fakeBuild, INDEX, JS, listen, request } from './helpers';

/** index.html as served: the runtime configuration embedded before </head>. */
const SERVED = INDEX.replace('</head>', '<script id="runtime-config" type="application/json">{"apiBaseUrl":"/api"}</script></head>');

const publicDir = fakeBuild();
afterAll(() => rmSync(publicDir, { recursive: true, force: true }));

async function start(overrides: Partial<Parameters<typeof createFrontendServer>[0]> = {}, load = true) {
  const app = createFrontendServer({ publicDir, apiBaseUrl: '/api', logLevel: 'silent', ...overrides });
  await app.app.ready();
  const port = await listen(app.server);
  if (load) await app.load();
  return { app, port };
}

describe('health and readiness', () => {
  let app: FrontendServer;
  afterEach(() => close(app.server));

  it('is live at once, and ready only once the assets are loaded', async () => {
    const s = await start({}, false);
    app = s.app;
    expect((await request(s.port, FRONTEND.livenessPath)).status).toBe(200);
    const before = await request(s.port, FRONTEND.readinessPath);
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body.toString())).toEqual({ status: 'starting' });
    // Pages are not served half-started either.
    expect((await request(s.port, '/')).status).toBe(503);
    await app.load();
    expect((await request(s.port, FRONTEND.readinessPath)).status).toBe(200);
  });

  it('refuses to load a build output without index.html', async () => {
    const s = await start({ publicDir: '/nonexistent-dir-for-test' }, false);
    app = s.app;
    await expect(app.load()).rejects.toThrow();
    expect((await request(s.port, FRONTEND.readinessPath)).status).toBe(503);
  });
});

describe('static files', () => {
  let app: FrontendServer;
  let port: number;
  beforeAll(async () => ({ app, port } = await start()));
  afterAll(() => close(app.server));

  it('serves hashed assets as immutable for a year, compressed as the client prefers', async () => {
    const br = await request(port, '/assets/index-abc123.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.status).toBe(200);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-type']).toMatch(/^(text|application)\/javascript; charset=utf-8$/);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/^accept-encoding$/i);
    expect(brotliDecompressSync(br.body).toString()).toBe(JS);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);

    const gz = await request(port, '/assets/index-abc123.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(JS);

    const refusedBr = await request(port, '/assets/index-abc123.js', { headers: { 'accept-encoding': 'br;q=0, gzip' } });
    expect(refusedBr.headers['content-encoding']).toBe('gzip');

    const plain = await request(port, '/assets/index-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(JS);
    // Each representation has its own validator.
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
  });

  it('serves index.html for / with no-cache and answers a matching If-None-Match with 304', async () => {
    const first = await request(port, '/');
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.body.toString()).toBe(SERVED);
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await request(port, '/', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const changed = await request(port, '/', { headers: { 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);
  });

  it('falls back to index.html for client-side routes, but not for missing files', async () => {
    for (const route of ['/tasks', '/login', '/tasks?status=open&page=2', '/some/deep/route']) {
      const r = await request(port, route);
      expect([route, r.status, r.body.toString()]).toEqual([route, 200, SERVED]);
      expect(r.headers['cache-control']).toBe('no-cache');
    }
    for (const missing of ['/assets/index-gone.js', '/assets/whatever', '/logo.png', '/robots.txt']) {
      const r = await request(port, missing);
      expect([missing, r.status]).toEqual([missing, 404]);
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('never serves the .br/.gz files by their own names, nor anything outside the build', async () => {
    expect((await request(port, '/assets/index-abc123.js.br')).status).toBe(404);
    expect((await request(port, '/index.html.gz')).status).toBe(404);
    for (const p of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc/passwd']) {
      const r = await request(port, p);
      expect([p, r.status === 403 || r.status === 404 || r.body.toString() === SERVED]).toEqual([p, true]);
      expect(r.body.toString()).not.toMatch(/root:|"name":/);
    }
    expect((await request(port, '/%E0%A4%A')).status).toBe(400);
  });

  it('answers HEAD without a body and rejects other methods with 405', async () => {
    const head = await request(port, '/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(JS));
    const post = await request(port, '/tasks', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(JSON.parse(post.body.toString())).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
  });

  it('sends the security headers with a strict CSP on pages, assets and errors', async () => {
    for (const p of ['/', '/assets/index-abc123.js', '/missing.png', FRONTEND.readinessPath]) {
      const { headers } = await request(port, p);
      const csp = String(headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('serves the runtime configuration, never cached', async () => {
    const r = await request(port, FRONTEND.runtimeConfigPath);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body.toString())).toEqual({ apiBaseUrl: '/api' });
  });

  it('does not pretend to be the API when no upstream is configured', async () => {
    const r = await request(port, '/api/tasks');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body.toString()).message).toMatch(/API_UPSTREAM/);
  });
});

describe('the runtime configuration in the page', () => {
  it('is embedded in <head> as a JSON data block that no value can close, and served compressed', async () => {
    expect(embedRuntimeConfig('<html><head><title>t</title></head><body></body></html>', { apiBaseUrl: 'https://x.test/</script><script>alert(1)</script>' })).toBe(
      '<html><head><title>t</title><script id="runtime-config" type="application/json">{"apiBaseUrl":"https://x.test/\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"}</script></head><body></body></html>',
    );
    expect(() => embedRuntimeConfig('<html><body></body></html>', {})).toThrow(/no <\/head>/);
    const { app, port } = await start({ apiBaseUrl: 'https://api.example.test/v1' });
    try {
      const page = await request(port, '/tasks', { headers: { 'accept-encoding': 'br' } });
      expect(page.headers['content-encoding']).toBe('br');
      const html = brotliDecompressSync(page.body).toString();
      const data = /<script id="(runtime-config)" type="application\/json">([^<]*)<\/script><\/head>/.exec(html);
      expect(data?.[1]).toBe(RUNTIME_CONFIG_ELEMENT_ID);
      expect(JSON.parse(data![2]!)).toEqual(JSON.parse((await request(port, FRONTEND.runtimeConfigPath)).body.toString()));
      // The page's CSP stays strict: a data block needs no inline-script allowance.
      expect(page.headers['content-security-policy']).toContain("script-src 'self';");
      // The server keeps idle connections longer than the proxies in front of it do.
      const agent = new http.Agent({ keepAlive: true });
      const keepAlive = await new Promise<string | undefined>((resolve) => http.get({ host: '127.0.0.1', port, path: '/', agent }, (r) => r.resume().on('end', () => resolve(String(r.headers['keep-alive'])))));
      agent.destroy();
      expect(keepAlive).toBe(`timeout=${HTTP_TIMEOUTS.keepAliveSeconds}`);
    } finally {
      await close(app.server);
    }
  });
});

describe('an absolute API base URL', () => {
  it('is served to the browser and allowed by connect-src', async () => {
    const { app, port } = await start({ apiBaseUrl: 'https://api.example.test/v1' });
    try {
      const r = await request(port, FRONTEND.runtimeConfigPath);
      expect(JSON.parse(r.body.toString())).toEqual({ apiBaseUrl: 'https://api.example.test/v1' });
      expect(r.headers['content-security-policy']).toContain("connect-src 'self' https://api.example.test;");
    } finally {
      await close(app.server);
    }
  });
});

describe('API reverse proxy', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[];
  let app: FrontendServer;
  let port: number;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/api/auth/login') {
          res.writeHead(401, { 'content-type': 'application/json', 'x-upstream': 'yes' });
          res.end(JSON.stringify({ statusCode: 401, error: 'Unauthorized', message: 'Wrong email or password.' }));
          return;
        }
        if (req.url === '/api/compressed') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(gzipSync('{"compressed":true}'));
          return;
        }
        if (req.url?.startsWith('/api/stream')) {
          // Streamed in pieces: the proxy must pass them on, not wait for the end.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first;');
          setTimeout(() => res.end('second'), 50);
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    upstreamPort = await listen(upstream);
    ({ app, port } = await start({ apiUpstream: `http://127.0.0.1:${upstreamPort}` }));
  });
  beforeEach(() => {
    seen = [];
  });
  afterAll(async () => {
    await close(app.server);
    await close(upstream);
  });

  it('forwards method, path, query, headers and body, and adds X-Forwarded-*', async () => {
    const body = JSON.stringify({ title: 'Buy milk', tags: ['home'] });
    const r = await request(port, '/api/tasks?status=open&q=milk', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: 'Bearer abc.def', host: 'todo.example.test', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body.toString())).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    const [s] = seen;
    expect(s!.method).toBe('POST');
    expect(s!.url).toBe('/api/tasks?status=open&q=milk');
    expect(s!.body).toBe(body);
    expect(s!.headers.authorization).toBe('Bearer abc.def');
    expect(s!.headers['content-type']).toBe('application/json');
    expect(s!.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(s!.headers['x-forwarded-proto']).toBe('http');
    expect(s!.headers['x-forwarded-host']).toBe('todo.example.test');
    expect(s!.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    // Hop-by-hop headers of the upstream's connection are not copied to the client's.
    expect(r.headers['keep-alive']).toBeUndefined();
  });

  it('passes compressed API responses through as they are', async () => {
    const r = await request(port, '/api/compressed', { headers: { 'accept-encoding': 'gzip' } });
    expect(seen[0]!.headers['accept-encoding']).toBe('gzip');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(r.body).toString()).toBe('{"compressed":true}');
  });

  it('passes error statuses and bodies through untouched', async () => {
    const r = await request(port, '/api/auth/login', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(401);
    expect(r.headers['x-upstream']).toBe('yes');
    expect(JSON.parse(r.body.toString()).message).toBe('Wrong email or password.');
  });

  it('streams the response instead of buffering it', async () => {
    const firstChunk = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', agent: false }, (res) => {
        res.once('data', (c: Buffer) => {
          resolve(c.toString());
          res.resume();
        });
      });
      req.on('error', reject);
    });
    expect(firstChunk).toBe('first;');
  });

  it('answers 502 with a JSON error when the upstream is down', async () => {
    const dead = http.createServer();
    const deadPort = await listen(dead);
    await close(dead);
    const { app: app2, port: port2 } = await start({ apiUpstream: `http://127.0.0.1:${deadPort}` });
    try {
      const r = await request(port2, '/api/tasks');
      expect(r.status).toBe(502);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(r.body.toString())).toEqual({ statusCode: 502, error: 'Bad Gateway', message: expect.stringMatching(/unreachable/) });
    } finally {
      await close(app2.server);
    }
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    const silent = http.createServer(() => {});
    const silentPort = await listen(silent);
    const { app: app2, port: port2 } = await start({ apiUpstream: `http://127.0.0.1:${silentPort}`, upstreamTimeoutMs: 200 });
    try {
      const r = await request(port2, '/api/tasks');
      expect(r.status).toBe(504);
      expect(JSON.parse(r.body.toString()).error).toBe('Gateway Timeout');
    } finally {
      await close(app2.server);
      await close(silent);
    }
  });
});
