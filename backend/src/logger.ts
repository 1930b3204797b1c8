/**
 * Fastify's logger (pino) configured for structured JSON lines like the frontend's:
 * `{"level":"info","time":"…","service":"backend","msg":"…", …}`. Request headers and bodies are
 * never logged; anything that looks like a credential is redacted should it reach a log call.
 */
import type { FastifyServerOptions } from 'fastify';

export const REDACT_PATHS = [
  'password',
  'token',
  'jwtSecret',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.password',
  '*.token',
  '*.jwtSecret',
  '*.authorization',
  'databaseUrl',
  '*.databaseUrl',
];

export function loggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level,
    base: { service: 'backend' },
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only what identifies the request: no headers (Authorization), no body (passwords).
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: req.url, ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    ...(stream ? { stream } : {}),
  };
}
