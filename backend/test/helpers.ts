import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { API_ROUTES, type Session } from '@todo/contract';
import { createSigner } from 'fast-jwt';
import { type BackendOptions, createBackend, type Backend } from '../src/app';
import { migrate } from '../src/db/migrator';
import { createPglite } from '../src/db/pglite';
import type { Database } from '../src/db/types';

export const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
/** Cheap scrypt parameters for the API tests (src/auth/password.ts is tested with the real ones). */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
export const PASSWORD = 'correct horse battery staple';

/** An embedded PGlite database in memory, migrated (from the cached empty-cluster snapshot). */
export async function testDatabase(): Promise<Database> {
  const db = await createPglite();
  await migrate(db);
  return db;
}

/** A session token as the backend signs them (HS256), for `userId`, made outside the backend. */
export function signToken(userId: string, { secret = SECRET, ttlSeconds = 3600, now = Date.now() } = {}): string {
  const iat = Math.floor(now / 1000);
  return createSigner({ key: secret, algorithm: 'HS256' })({ sub: userId, jti: randomUUID(), iat, exp: iat + ttlSeconds });
}

export function testBackend(db: Database, overrides: Partial<BackendOptions> = {}): Backend {
  const backend = createBackend({
    db,
    jwtSecret: SECRET,
    accessTokenTtlSeconds: 3600,
    loginRateLimitPerMinute: 10_000,
    logLevel: process.env.TEST_LOG_LEVEL === 'error' ? 'error' : 'silent',
    scrypt: FAST_SCRYPT,
    schemaChecked: true,
    // The test files share one database between several apps.
    closeDatabase: false,
    ...overrides,
  });
  backend.markReady();
  return backend;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(backend: Backend, method: string, url: string, { token, body, headers = {} }: CallOptions = {}) {
  const res: LightMyRequestResponse = await backend.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let json: any;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: json, raw: res.body };
}

let counter = 0;
export const uniqueEmail = (name = 'user') => `${name}-${process.pid}-${Date.now()}-${++counter}@example.test`;

export async function signup(backend: Backend, email = uniqueEmail()): Promise<Session> {
  const res = await call(backend, 'POST', API_ROUTES.signup, { body: { email, password: PASSWORD } });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.raw}`);
  return res.body as Session;
}
