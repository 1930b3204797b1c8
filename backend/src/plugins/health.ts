/**
 * The probes. /healthz (liveness): the process is alive; it never touches the database. /readyz
 * (readiness): 200 only when the process is ready and not shutting down (`app.lifecycle`, the
 * server-kit drain), the database answers `select 1` within READINESS_DB_TIMEOUT_MS and its schema
 * is migrated to this release's version.
 */
import { BACKEND } from '@todo/contract';
import fp from 'fastify-plugin';
import { LATEST_VERSION } from '../db/migrations';
import { schemaVersion } from '../db/migrator';
import { withTimeout } from '../db/types';

export interface HealthOptions {
  readinessTimeoutMs: number;
  /** The database is migrated to this release's schema already (skips the check). */
  schemaChecked: boolean;
}

const status = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } as const;

export const health = fp<HealthOptions>(
  (app, opts, done) => {
    let schemaOk = opts.schemaChecked;
    const ms = opts.readinessTimeoutMs;

    app.get(BACKEND.livenessPath, { schema: { summary: 'Liveness: the process is alive (never touches the database)', tags: ['operations'], response: { 200: status } } }, async () => ({
      status: 'ok',
    }));

    app.get(
      BACKEND.readinessPath,
      {
        schema: {
          summary: 'Readiness: the database answers and the process is not shutting down',
          tags: ['operations'],
          response: { 200: status, 503: { ...status, additionalProperties: true } },
        },
      },
      async (_request, reply) => {
        const phase = app.lifecycle.phase();
        if (phase !== 'ready') return reply.code(503).send({ status: phase });
        try {
          await app.db.ping(ms);
          if (!schemaOk) {
            const version = await withTimeout(schemaVersion(app.db), ms, 'schema check timed out');
            if (version < LATEST_VERSION) return reply.code(503).send({ status: 'database schema is not migrated', version, expected: LATEST_VERSION });
            schemaOk = true;
          }
        } catch (err) {
          app.log.warn({ error: (err as Error).message }, 'readiness: database unavailable');
          return reply.code(503).send({ status: 'database unavailable' });
        }
        return { status: 'ready' };
      },
    );
    done();
  },
  { name: 'health', dependencies: ['task-store', '@todo/server-kit/drain'] },
);
