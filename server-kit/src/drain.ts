/**
 * The SIGTERM drain of both servers, as a Fastify plugin (`app.lifecycle`). The phases:
 *
 *   starting → ready (markReady) → draining (SIGTERM) → closing (after SHUTDOWN_DELAY_SECONDS) → closed
 *
 * - draining: /readyz answers 503 (the servers' readiness routes read `phase()`); everything is served.
 * - closing: the listener stops accepting connections. Requests that still arrive on open keep-alive
 *   connections are served, and every response carries `Connection: close`, so each client learns from
 *   its own next response that it must reconnect (elsewhere). Idle keep-alive connections are NOT
 *   closed: a client may be sending a request on one at that very moment, and closing it would reset
 *   that request (for a POST through a proxy, a 502). They go when their client closes them (at the
 *   latest after its idle timeout, which is below HTTP_TIMEOUTS.keepAliveSeconds) or carry a request
 *   and are closed after its response.
 * - When every connection is gone, or after SHUTDOWN_TIMEOUT_SECONDS, whichever is first, the remaining
 *   connections are closed, Fastify's onClose hooks run (the database pool) and `shutdown` resolves:
 *   `clean` is false when a request was still running at the deadline.
 */
import net from 'node:net';
import type { FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';

export type Phase = 'starting' | 'ready' | 'draining' | 'closing' | 'closed';

export interface ShutdownResult {
  clean: boolean;
  /** Requests still running when the deadline cut them. */
  cut: number;
  /** Keep-alive connections open (idle or busy) at the deadline, closed then. */
  closedConnections: number;
}

export interface Lifecycle {
  phase(): Phase;
  /** The server may report ready from now on (its dependencies answered). */
  markReady(): void;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Runs the drain once; later calls return the same promise. */
  shutdown(opts: { delaySeconds: number; timeoutSeconds: number }): Promise<ShutdownResult>;
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const drainPlugin: FastifyPluginCallback = (app, _opts, done) => {
  let phase: Phase = 'starting';
  let inFlight = 0;
  let running: Promise<ShutdownResult> | undefined;
  const sockets = new Set<net.Socket>();

  app.server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Counted on the raw server: every request, whatever route or hook answers it.
  app.server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
  });
  // While closing, every response tells its client to reconnect; Node then closes that connection.
  app.addHook('onSend', (_request, reply, payload, next) => {
    if (phase === 'closing') reply.header('connection', 'close');
    next(null, payload);
  });

  async function run(delaySeconds: number, timeoutSeconds: number): Promise<ShutdownResult> {
    phase = 'draining';
    app.log.info({ delaySeconds, inFlight }, 'shutdown: readiness now 503');
    if (delaySeconds > 0) await sleep(delaySeconds * 1000);
    phase = 'closing';
    app.log.info({ timeoutSeconds, inFlight, connections: sockets.size }, 'shutdown: no longer accepting connections; draining');
    // net.Server's close, not http.Server's: the latter would also close idle keep-alive connections.
    const drained = new Promise<'drained'>((resolve) => {
      if (!app.server.listening) resolve('drained');
      else net.Server.prototype.close.call(app.server, () => resolve('drained'));
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutSeconds * 1000)));
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    const result: ShutdownResult = { clean: true, cut: 0, closedConnections: 0 };
    if (outcome === 'deadline') {
      result.cut = inFlight;
      result.clean = inFlight === 0;
      result.closedConnections = sockets.size;
      app.log.warn({ cut: result.cut, connections: result.closedConnections }, 'shutdown: drain timeout; closing the remaining connections');
      for (const s of sockets) s.destroy();
    }
    await app.close();
    phase = 'closed';
    app.log.info(result, 'shutdown: done');
    return result;
  }

  const lifecycle: Lifecycle = {
    phase: () => phase,
    markReady() {
      if (phase === 'starting') phase = 'ready';
    },
    inFlight: () => inFlight,
    shutdown({ delaySeconds, timeoutSeconds }) {
      running ??= run(delaySeconds, timeoutSeconds);
      return running;
    },
  };
  app.decorate('lifecycle', lifecycle);
  done();
};

/** Registers `app.lifecycle` (phases, Connection: close while closing, the drain). */
export const drain = fp(drainPlugin, { name: '@todo/server-kit/drain', fastify: '5.x' });
