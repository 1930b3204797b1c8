/**
 * The backend's configuration: every value comes from the environment, parsed by the contract's
 * BACKEND_ENV declarations (`loadEnv`), plus the rules the declarations cannot express alone: the
 * JWT signing secret comes from JWT_SECRET or, when that is unset, from the file named by
 * JWT_SECRET_FILE; the session timings are ordered (access token < refresh cookie ≤ session).
 */
import { readFileSync } from 'node:fs';
import { BACKEND_ENV, EnvError, loadEnv, type BackendEnv } from '@todo/contract';

export interface BackendConfig extends Omit<BackendEnv, 'jwtSecret' | 'jwtSecretFile'> {
  /** The resolved signing secret (never logged). */
  jwtSecret: string;
}

const JWT_MIN_LENGTH = BACKEND_ENV.jwtSecret.minLength;

/**
 * Reads the configuration. Throws one `EnvError` naming every missing or malformed variable
 * (the contract's message format), the JWT secret included.
 */
export function loadConfig(source: Record<string, string | undefined>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): BackendConfig {
  const problems: string[] = [];
  let env: BackendEnv | undefined;
  try {
    env = loadEnv(BACKEND_ENV, source);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    problems.push(...err.problems);
  }
  const jwtVar = BACKEND_ENV.jwtSecret.name;
  const fileVar = BACKEND_ENV.jwtSecretFile.name;
  let jwtSecret: string | undefined = env?.jwtSecret;
  if (env && jwtSecret === undefined) {
    if (env.jwtSecretFile === undefined) {
      problems.push(`${jwtVar} or ${fileVar} must be set: the secret that signs session tokens (at least ${JWT_MIN_LENGTH} characters)`);
    } else {
      try {
        // A mounted Secret usually ends with a newline that is not part of the secret.
        const text = readFile(env.jwtSecretFile).replace(/\r?\n$/, '');
        if (text.length < JWT_MIN_LENGTH) problems.push(`${fileVar}=${JSON.stringify(env.jwtSecretFile)}: the file holds fewer than ${JWT_MIN_LENGTH} characters`);
        else jwtSecret = text;
      } catch (err) {
        problems.push(`${fileVar}=${JSON.stringify(env.jwtSecretFile)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
  if (env) problems.push(...timingProblems(env));
  if (problems.length > 0 || !env || jwtSecret === undefined) throw new EnvError(problems);
  const { jwtSecret: _s, jwtSecretFile: _f, ...rest } = env;
  return { ...rest, jwtSecret };
}

/** The session timings must nest: an access token outlived by its refresh cookie, that by its session. */
function timingProblems(env: BackendEnv): string[] {
  const name = (k: keyof typeof BACKEND_ENV) => `${BACKEND_ENV[k].name} (${env[k] as number})`;
  const out: string[] = [];
  if (env.accessTokenTtlSeconds >= env.sessionIdleTimeoutSeconds) {
    out.push(`${name('accessTokenTtlSeconds')} must be less than ${name('sessionIdleTimeoutSeconds')}: an access token is renewed with a refresh cookie that outlives it`);
  }
  if (env.sessionIdleTimeoutSeconds > env.sessionMaxAgeSeconds) {
    out.push(`${name('sessionIdleTimeoutSeconds')} must not exceed ${name('sessionMaxAgeSeconds')}: no refresh cookie outlives its session`);
  }
  return out;
}
