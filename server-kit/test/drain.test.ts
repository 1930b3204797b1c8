/**
 * The drain with keep-alive clients that keep sending through it, as a Service's clients do: each
 * client holds one keep-alive connection to replica A (conntrack keeps it there after A's endpoint is
 * removed) and opens new connections to replica B only once A has told it `Connection: close`. Every
 * request must succeed: no reset, no refused connection, no error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { drain } from '../src/drain';

async function replica(name: string, delayMs = 0): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ logger: false, return503OnClosing: false, forceCloseConnections: false, keepAliveTimeout: 60_000 });
  await app.register(drain);
  app.get('/work', async () => {
    if (delayMs) await new Promise((r) => setTimeout(r, Math.random() * delayMs));
    return { replica: name };
  });
  app.post('/work', async (request) => ({ replica: name, got: request.body }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  app.lifecycle.markReady();
  return { app, port: (app.server.address() as AddressInfo).port };
}

interface Tally {
  ok: number;
  failed: string[];
  onA: number;
  afterClose: number;
}

/** One client: requests back to back; A's connection until A says close, then B. */
function client(portA: number, portB: number, tally: Tally, until: () => boolean, method: 'GET' | 'POST') {
  const agentA = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const agentB = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let onA = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const body = method === 'POST' ? JSON.stringify({ n: tally.ok }) : undefined;
      const req = http.request(
        { host: '127.0.0.1', port: onA ? portA : portB, path: '/work', method, agent: onA ? agentA : agentB, headers: body ? { 'content-type': 'application/json' } : {} },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) tally.ok++;
            else tally.failed.push(`status ${res.statusCode}`);
            if (onA) tally.onA++;
            if (onA && res.headers.connection === 'close') {
              onA = false;
              tally.afterClose++;
            }
            resolve();
          });
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        tally.failed.push(e.code ?? e.message);
        resolve();
      });
      req.end(body);
    });
  return (async () => {
    while (until()) await once();
    agentA.destroy();
    agentB.destroy();
  })();
}

it.each(['GET', 'POST'] as const)('%s: keep-alive clients sending through the drain: 0 failed requests, 0 resets', async (method) => {
  const a = await replica('a', 2);
  const b = await replica('b');
  const tally: Tally = { ok: 0, failed: [], onA: 0, afterClose: 0 };
  let running = true;
  const clients = Array.from({ length: 16 }, () => client(a.port, b.port, tally, () => running, method));
  await new Promise((r) => setTimeout(r, 300));
  const result = await a.app.lifecycle.shutdown({ delaySeconds: 0.2, timeoutSeconds: 5 });
  running = false;
  await Promise.all(clients);
  await b.app.close();
  expect(tally.failed).toEqual([]);
  expect(tally.afterClose).toBe(16); // every client was told by A to move, none was cut off
  expect(tally.ok).toBeGreaterThan(200);
  expect(result).toEqual({ clean: true, cut: 0, closedConnections: 0 });
}, 20_000);

it('reports requests cut at the deadline, and closes idle connections then', async () => {
  const app = Fastify({ logger: false, return503OnClosing: false, forceCloseConnections: false });
  await app.register(drain);
  app.get('/hang', () => new Promise(() => {}));
  app.get('/ok', async () => 'ok');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const idle = new http.Agent({ keepAlive: true });
  await new Promise<void>((resolve) => http.get({ port, path: '/ok', agent: idle }, (r) => r.resume().on('end', resolve)));
  const hung = new Promise<string>((resolve) => http.get({ port, path: '/hang', agent: false }, () => resolve('answered')).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message)));
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  const result = await app.lifecycle.shutdown({ delaySeconds: 0, timeoutSeconds: 0.3 });
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(result).toEqual({ clean: false, cut: 1, closedConnections: 2 });
  expect(await hung).toMatch(/ECONNRESET|socket hang up/);
  expect(app.lifecycle.phase()).toBe('closed');
  idle.destroy();
});
