import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { FRONTEND } from '@todo/contract';
import { createFrontendServer } from '../server/app';
import { close, fakeBuild, listen, request } from './helpers';

const publicDir = fakeBuild();
afterAll(() => rmSync(publicDir, { recursive: true, force: true }));

async function start(opts: { delay?: number; timeout?: number; upstream?: string }) {
  const app = createFrontendServer({
    publicDir,
    apiBaseUrl: '/api',
    apiUpstream: opts.upstream,
    shutdownDelaySeconds: opts.delay ?? 0,
    shutdownTimeoutSeconds: opts.timeout ?? 5,
  });
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
    const { app, port } = await start({ delay: 1 });
    const t0 = Date.now();
    const done = app.shutdown();
    const ready = await request(port, FRONTEND.readinessPath);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body.toString())).toEqual({ status: 'draining' });
    // Liveness stays 200: a draining process must not be restarted.
    expect((await request(port, FRONTEND.livenessPath)).status).toBe(200);
    expect((await request(port, '/tasks')).status).toBe(200);
    await expect(done).resolves.toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(app.phase()).toBe('closed');
    await expect(request(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('lets a request in flight at SIGTERM finish, and does not wait for idle keep-alive connections', async () => {
    const up = await slowUpstream(400);
    const { app, port } = await start({ upstream: up.url });
    try {
      const agent = new http.Agent({ keepAlive: true });
      // An idle keep-alive connection from an earlier request.
      await new Promise<void>((resolve) => http.get({ host: '127.0.0.1', port, path: '/', agent }, (r) => r.resume().on('end', resolve)));
      const inFlight = request(port, '/api/tasks');
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const clean = await app.shutdown();
      const reply = await inFlight;
      expect(clean).toBe(true);
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe('{"slow":true}');
      expect(Date.now() - t0).toBeLessThan(2000);
      agent.destroy();
    } finally {
      await close(up.server);
    }
  });

  it('cuts requests still running after SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const up = await slowUpstream(Infinity);
    const { app, port } = await start({ upstream: up.url, timeout: 1 });
    try {
      const hung = request(port, '/api/tasks');
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const clean = await app.shutdown();
      expect(clean).toBe(false);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
      expect(Date.now() - t0).toBeLessThan(2500);
      await expect(hung).rejects.toThrow(/socket hang up|ECONNRESET/);
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
