/**
 * The integration suites' environment, set by scripts/ci/backend.sh: DATABASE_URL (a migrated
 * database of a throwaway cluster) and ADMIN_DATABASE_URL (a role that may create databases).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? '';
export const ADMIN_DATABASE_URL = process.env.ADMIN_DATABASE_URL ?? DATABASE_URL;
if (!DATABASE_URL) throw new Error('DATABASE_URL is not set: run the integration tests with scripts/ci/backend.sh');

export const backendDir = path.resolve(__dirname, '../..');
export const serverJs = path.join(backendDir, 'dist/server.js');
export const migrateJs = path.join(backendDir, 'dist/migrate.js');

/** A new, empty database on the same server; returns its URL and a function that drops it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `it_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function runNode(script: string, env: Record<string, string | undefined>, cwd = backendDir): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { cwd, env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
