/**
 * Prometheus metrics at BACKEND.metricsPath: request count, server errors and duration, labelled by
 * method, route template (`/api/tasks/:id`, never the raw URL, so the label set stays bounded) and
 * status code; plus prom-client's default process metrics (CPU, memory, event loop lag, GC, handles).
 * The same onResponse hook writes the request log line (server-kit `requestLog`).
 */
import { BACKEND } from '@todo/contract';
import { requestLog } from '@todo/server-kit';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'backend' });
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route template and status code.', labelNames, registers: [registry] });
  const errors = new Counter({
    name: 'http_request_errors_total',
    help: 'HTTP requests answered with a server error (status >= 500), by method, route template and status code.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending the response, by method, route template and status code.',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe(method: string, route: string, statusCode: number, seconds: number) {
      const labels = { method, route, status_code: String(statusCode) };
      requests.inc(labels);
      duration.observe(labels, seconds);
      if (statusCode >= 500) errors.inc(labels);
    },
  };
}

export const metrics = fp(
  async (app) => {
    const m = createMetrics();
    await app.register(requestLog, { quietRoutes: [BACKEND.livenessPath, BACKEND.readinessPath, BACKEND.metricsPath], observe: m.observe });
    app.get(BACKEND.metricsPath, { schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } }, async (_request, reply) => {
      reply.header('content-type', m.registry.contentType);
      return m.registry.metrics();
    });
  },
  { name: 'metrics' },
);
