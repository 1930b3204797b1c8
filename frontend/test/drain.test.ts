import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { FRONTEND } from '@todo/contract';
import { createFrontendServer } from '../server/app';
import { close, fakeBuild, listen, request } from './helpers';

const publicDir = fakeBuild();
afterAll(() => rmSync(publicDir, { recursive: true, force: true }));

async function start(opts: { upstream?: string }) {
  const app = createFrontendServer({ publicDir, apiBaseUrl: '/api', apiUpstream: opts.upstream, logLevel: 'silent' });
  await app.app.ready();
  const port = await listen(app.server);
  await app.load();
  return { app, port };
}

/** An upstream that answers each request after `ms` (never, if ms is Infinity). */
async function slowUpstream(ms: number) {
  const server = http.createServer((_req, res) => {
    if (ms === Infinity) return;
    setTimeout(() => res.end('{"slow":true}'), ms);
  });
  const port = await listen(server);
  return { server, url: `http://127.0.0.1:${port}` };
}

describe('SIGTERM drain', () => {
  it('turns readiness to 503 at once, keeps serving through the delay, then refuses connections', async () => {
    const { app, port } = await start({});
    const t0 = Date.now();
    const done = app.shutdown({ delaySeconds: 1, timeoutSeconds: 5 });
    const ready = await request(port, FRONTEND.readinessPath);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body.toString())).toEqual({ status: 'draining' });
    // Liveness stays 200: a draining process must not be restarted.
    expect((await request(port, FRONTEND.livenessPath)).status).toBe(200);
    expect((await request(port, '/tasks')).status).toBe(200);
    await expect(done).resolves.toMatchObject({ clean: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(app.phase()).toBe('closed');
    await expect(request(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('lets a request in flight at SIGTERM finish; an idle keep-alive connection is served, told to close', async () => {
    const up = await slowUpstream(400);
    const { app, port } = await start({ upstream: up.url });
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (p: string) => new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port, path: p, agent }, (r) => r.resume().on('end', () => resolve(r))).on('error', reject));
      // A keep-alive connection, idle from an earlier request.
      await get('/');
      const inFlight = request(port, '/api/tasks');
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const done = app.shutdown({ delaySeconds: 0, timeoutSeconds: 5 });
      // The idle connection was not closed under the client: its next request is answered, with Connection: close.
      const late = await get('/tasks');
      expect(late.statusCode).toBe(200);
      expect(late.headers.connection).toBe('close');
      const reply = await inFlight;
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe('{"slow":true}');
      expect(await done).toEqual({ clean: true, cut: 0, closedConnections: 0 });
      expect(Date.now() - t0).toBeLessThan(2000);
      agent.destroy();
    } finally {
      await close(up.server);
    }
  });

  it('cuts requests still running after SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const up = await slowUpstream(Infinity);
    const { app, port } = await start({ upstream: up.url });
    try {
      const hung = request(port, '/api/tasks').then(
        () => 'answered',
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const result = await app.shutdown({ delaySeconds: 0, timeoutSeconds: 1 });
      expect(result).toMatchObject({ clean: false, cut: 1 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(await hung).toMatch(/socket hang up|ECONNRESET/);
    } finally {
      await close(up.server);
    }
  });
});

describe('start-up configuration', () => {
  it('exits 1 naming every bad variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../server/main.ts')], {
      env: { PATH: process.env.PATH, PORT: '99999', API_UPSTREAM: 'not a url', SHUTDOWN_TIMEOUT_SECONDS: 'soon' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toMatch(/PORT="99999" is invalid/);
    expect(r.stderr).toMatch(/API_UPSTREAM="not a url" is invalid/);
    expect(r.stderr).toMatch(/SHUTDOWN_TIMEOUT_SECONDS="soon" is invalid/);
  });
});
