import { BACKEND, SHUTDOWN } from '@todo/contract';
import { loadConfig } from '../src/config';

const SECRET = 'a'.repeat(32);
const noFiles = (p: string): string => {
  throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
};

describe('loadConfig (environment variables, contract BACKEND_ENV)', () => {
  it('applies the contract defaults', () => {
    const c = loadConfig({ JWT_SECRET: SECRET }, noFiles);
    expect(c).toMatchObject({
      port: BACKEND.port,
      host: '0.0.0.0',
      logLevel: 'info',
      databaseUrl: undefined,
      dbPoolMax: 10,
      jwtSecret: SECRET,
      accessTokenTtlSeconds: 900,
      sessionIdleTimeoutSeconds: 604800,
      sessionMaxAgeSeconds: 2592000,
      sessionRefreshGraceSeconds: 10,
      sessionCookieSecure: 'always',
      loginRateLimitPerMinute: 60,
      loginAccountRateLimitPerMinute: 10,
      writeRateLimitPerMinute: 300,
      taskQuota: 5000,
      trustedProxies: undefined,
      passwordHashConcurrency: 2,
      dbAcquireTimeoutMs: 700,
      dbQueryTimeoutMs: 1000,
      dbStatementTimeoutMs: 800,
      dbKeepAliveSeconds: 10,
      readinessTimeoutMs: 1000,
      shutdownDelaySeconds: 0,
      shutdownTimeoutSeconds: SHUTDOWN.drainTimeoutSeconds,
    });
    expect(c).not.toHaveProperty('jwtSecretFile');
  });

  it('bounds a stalled database below the readiness probe and the drain: acquire + query < 2 s, statement < query', () => {
    const c = loadConfig({ JWT_SECRET: SECRET }, noFiles);
    expect(c.dbAcquireTimeoutMs + c.dbQueryTimeoutMs).toBeLessThan(2000);
    expect(c.dbStatementTimeoutMs).toBeLessThan(c.dbQueryTimeoutMs);
    expect(c.readinessTimeoutMs).toBeLessThan(2000);
    expect(c.dbAcquireTimeoutMs + c.dbQueryTimeoutMs).toBeLessThan(c.shutdownTimeoutSeconds * 1000);
  });

  it('reads TRUSTED_PROXY_CIDRS as a list, and names a bad entry', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, TRUSTED_PROXY_CIDRS: '10.0.0.0/8, 192.168.1.7,fd00::/8' }, noFiles).trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(() => loadConfig({ JWT_SECRET: SECRET, TRUSTED_PROXY_CIDRS: '10.0.0.0/33' }, noFiles)).toThrow(/TRUSTED_PROXY_CIDRS="10.0.0.0\/33" is invalid: "10.0.0.0\/33" has a prefix length outside 0-32/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, TRUSTED_PROXY_CIDRS: 'ingress' }, noFiles)).toThrow(/"ingress" is not an IP address or CIDR range/);
  });

  it('refuses session timings that do not nest, naming both variables', () => {
    expect(() => loadConfig({ JWT_SECRET: SECRET, ACCESS_TOKEN_TTL_SECONDS: '3600', SESSION_IDLE_TIMEOUT_SECONDS: '600' }, noFiles)).toThrow(
      /ACCESS_TOKEN_TTL_SECONDS \(3600\) must be less than SESSION_IDLE_TIMEOUT_SECONDS \(600\)/,
    );
    expect(() => loadConfig({ JWT_SECRET: SECRET, SESSION_IDLE_TIMEOUT_SECONDS: '90000', SESSION_MAX_AGE_SECONDS: '86400' }, noFiles)).toThrow(
      /SESSION_IDLE_TIMEOUT_SECONDS \(90000\) must not exceed SESSION_MAX_AGE_SECONDS \(86400\)/,
    );
    expect(() => loadConfig({ JWT_SECRET: SECRET, SESSION_COOKIE_SECURE: 'never' }, noFiles)).toThrow(/SESSION_COOKIE_SECURE="never" is invalid: not an allowed value \(expected one of always, auto\)/);
  });

  it('names the missing JWT secret clearly', () => {
    expect(() => loadConfig({}, noFiles)).toThrow(/JWT_SECRET or JWT_SECRET_FILE must be set/);
  });

  it('reads JWT_SECRET_FILE (without its trailing newline) when JWT_SECRET is unset', () => {
    const c = loadConfig({ JWT_SECRET_FILE: '/run/secrets/jwt' }, (p) => (p === '/run/secrets/jwt' ? `${SECRET}\n` : noFiles(p)));
    expect(c.jwtSecret).toBe(SECRET);
    // JWT_SECRET wins when both are set.
    expect(loadConfig({ JWT_SECRET: 'b'.repeat(40), JWT_SECRET_FILE: '/run/secrets/jwt' }, noFiles).jwtSecret).toBe('b'.repeat(40));
  });

  it('reports an unreadable or too short secret file', () => {
    expect(() => loadConfig({ JWT_SECRET_FILE: '/nope' }, noFiles)).toThrow(/JWT_SECRET_FILE="\/nope" cannot be read: ENOENT/);
    expect(() => loadConfig({ JWT_SECRET_FILE: '/short' }, () => 'short\n')).toThrow(/fewer than 32 characters/);
  });

  it('lists every bad variable at once and never echoes a secret', () => {
    let message = '';
    try {
      loadConfig({ JWT_SECRET: 'too-short-secret', PORT: 'eighty', DATABASE_URL: 'mysql://u:hunter2@db/x', LOG_LEVEL: 'loud' }, noFiles);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/PORT="eighty" is invalid: not an integer/);
    expect(message).toMatch(/LOG_LEVEL="loud" is invalid/);
    expect(message).toMatch(/DATABASE_URL=<hidden> is invalid: protocol mysql: is not allowed/);
    expect(message).toMatch(/JWT_SECRET=<hidden> is invalid: shorter than 32 characters/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('too-short-secret');
  });
});
