/**
 * The built server (dist/server.js) as a child process on PostgreSQL: SIGTERM while a request is
 * in flight. /readyz turns 503 at once, the server keeps serving for SHUTDOWN_DELAY_SECONDS, then
 * refuses new connections while the in-flight request still completes with its status, and the
 * process exits 0 well within the contract's termination grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { API_ROUTES, BACKEND, SHUTDOWN } from '@todo/contract';
import { DATABASE_URL, serverJs } from './env';
import { freePort, request, sleep } from './servers';

const DELAY_S = 1;
let child: ChildProcess | undefined;
let output = '';
const finishers: (() => void)[] = [];

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});


it('drains on SIGTERM: readiness 503 at once, in-flight request completes, new connections refused, exit 0', async () => {
  const port = await freePort();
  child = spawn(process.execPath, [serverJs], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      JWT_SECRET: 'integration-test-secret-0123456789abcdef',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_SECONDS: String(DELAY_S),
      SHUTDOWN_TIMEOUT_SECONDS: '10',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child!.once('exit', (code) => resolve({ code, at: Date.now() })));

  const t0 = Date.now();
  for (;;) {
    const status = await request(port, 'GET', BACKEND.readinessPath).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() - t0 > 10_000) throw new Error(`not ready after 10 s:\n${output}`);
    await sleep(20);
  }
  const signup = await request(port, 'POST', API_ROUTES.signup, { body: { email: `drain-${Date.now()}@example.test`, password: 'drain test password' } });
  expect(signup.status).toBe(201);
  const { token } = JSON.parse(signup.body);

  // The in-flight request: a client that sends its body slowly (half now, half after SIGTERM).
  const body = JSON.stringify({ title: 'Sent across the shutdown', tags: ['drain'] });
  const half = Math.floor(body.length / 2);
  const inFlight = new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: API_ROUTES.tasks,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
    finishers.push(() => req.end(body.slice(half)));
  });
  await sleep(100);

  const sigtermAt = Date.now();
  child.kill('SIGTERM');
  // Readiness turns 503 at once (a new connection, still accepted during the delay).
  let ready = 200;
  while (ready === 200 && Date.now() - sigtermAt < 500) ready = (await request(port, 'GET', BACKEND.readinessPath)).status;
  expect(ready).toBe(503);
  expect(Date.now() - sigtermAt).toBeLessThan(500);
  // Still serving during SHUTDOWN_DELAY_SECONDS.
  expect((await request(port, 'GET', API_ROUTES.me, { token })).status).toBe(200);

  // After the delay the listener closes: new connections are refused while the request is in flight.
  let refused = false;
  while (!refused && Date.now() - sigtermAt < DELAY_S * 1000 + 3000) {
    refused = await request(port, 'GET', BACKEND.livenessPath).then(
      () => false,
      (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
    );
    if (!refused) await sleep(50);
  }
  expect(refused).toBe(true);
  expect(Date.now() - sigtermAt).toBeGreaterThanOrEqual(DELAY_S * 1000 - 50);
  expect(child.exitCode).toBeNull();

  // The in-flight request completes normally, told to close its connection.
  for (const f of finishers) f();
  const reply = await inFlight;
  expect(reply.status).toBe(201);
  expect(JSON.parse(reply.body).title).toBe('Sent across the shutdown');
  expect(reply.connection).toBe('close');

  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), SHUTDOWN.terminationGracePeriodSeconds * 1000)))]);
  clearTimeout(timer);
  expect(exit).not.toBeNull();
  expect(exit!.code).toBe(0);
  const took = exit!.at - sigtermAt;
  // Well inside the grace period that remains after the preStop sleep.
  expect(took).toBeLessThan((SHUTDOWN.terminationGracePeriodSeconds - SHUTDOWN.preStopSleepSeconds) * 1000);
  expect(output).toMatch(/"msg":"shutdown: readiness now 503"/);
  expect(output).toMatch(/"msg":"shutdown: done"/);
  expect(output).not.toContain('integration-test-secret');
  console.log(`drain: exit 0 ${took} ms after SIGTERM (delay ${DELAY_S} s)`);
}, 30_000);

