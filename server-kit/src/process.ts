/**
 * The process side of a server's life: SIGTERM/SIGINT (and an uncaught error) start the drain once
 * (close-with-grace), and the process exits 0 when it is done, 1 after an uncaught error, or 1 if the
 * drain itself overran its bound (the delay, the drain timeout and a margin for closing the database).
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export interface SignalOptions {
  delaySeconds: number;
  timeoutSeconds: number;
  /** Extra time allowed after the drain timeout (closing the database pool). */
  marginSeconds?: number;
}

export function shutdownOnSignals(app: FastifyInstance, opts: SignalOptions): void {
  const bound = (opts.delaySeconds + opts.timeoutSeconds + (opts.marginSeconds ?? 3)) * 1000;
  closeWithGrace(
    {
      delay: bound,
      logger: { error: (msg: unknown) => app.log.error(typeof msg === 'string' ? msg : { err: msg }, 'shutdown') },
    },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'uncaught error; shutting down');
      else app.log.info({ signal }, 'signal received');
      await app.lifecycle.shutdown({ delaySeconds: opts.delaySeconds, timeoutSeconds: opts.timeoutSeconds });
    },
  );
}
