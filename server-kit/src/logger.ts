/**
 * One log format for both servers and the migration command: pino (Fastify's own logger) writing one
 * JSON object per line, `{"level":"info","time":"…","service":"backend","msg":"…", …}`. Request headers
 * and bodies are never logged; fields named like credentials are redacted should they reach a log call.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

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

/** pino's options for `service` (Fastify's `logger` option takes them as they are). */
export function logOptions(service: string, level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only what identifies the request: no headers (Authorization), no body (passwords).
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: req.url, ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
}

/** A pino logger for `service` on standard output (or `stream`), for code that runs outside a Fastify app. */
export function createLogger(service: string, level: LogLevel, stream?: DestinationStream | { write(line: string): void }): Logger {
  return pino(logOptions(service, level), (stream as DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }));
}

export type { Logger };
