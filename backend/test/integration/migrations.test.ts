import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MIGRATIONS, LATEST_VERSION } from '../../src/db/migrations';
import { migrateConnection } from '../../src/db/migrator';
import type { Connection } from '../../src/db/types';
import { freshDatabase, migrateJs, runNode, serverJs } from './env';

const asConnection = (c: pg.Client): Connection => ({
  query: async (sql, params) => {
    const r = await c.query(sql, params as unknown[]);
    return { rows: r.rows, rowCount: r.rowCount ?? 0 };
  },
  exec: async (sql) => {
    await c.query(sql);
  },
});

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('migrations on PostgreSQL', () => {
  it('node dist/migrate.js: five at once apply each migration exactly once, and all exit 0', async () => {
    const db = await freshDatabase();
    try {
      const runs = await Promise.all(Array.from({ length: 5 }, () => runNode(migrateJs, { DATABASE_URL: db.url })));
      for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const logs = runs.map((r) => r.stdout).join('');
      expect(logs.match(/"msg":"migrations: applied"/g)).toHaveLength(MIGRATIONS.length);
      expect(logs.match(/the schema is up to date/g)).toHaveLength(4);
      const rows = await withClient(db.url, async (c) => (await c.query('select version from schema_migrations order by version')).rows);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      // And once more: nothing to do.
      const again = await runNode(migrateJs, { DATABASE_URL: db.url });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('the schema is up to date');
    } finally {
      await db.drop();
    }
  });

  it('a failing migration rolls back entirely, releases the lock, and the next run applies it', async () => {
    const db = await freshDatabase();
    try {
      const broken = [...MIGRATIONS, { version: LATEST_VERSION + 1, name: 'broken', sql: 'create table half_done (id int); select * from no_such_table;' }];
      await withClient(db.url, async (c) => {
        await expect(migrateConnection(asConnection(c), undefined, broken)).rejects.toThrow(new RegExp(`migration ${LATEST_VERSION + 1} \\(broken\\) failed: relation "no_such_table" does not exist`));
        const { rows } = await c.query("select to_regclass('half_done') as t, (select max(version) from schema_migrations) as v");
        expect(rows[0]).toEqual({ t: null, v: LATEST_VERSION });
      });
      // The lock was released: another session migrates at once.
      const fixed = [...MIGRATIONS, { version: LATEST_VERSION + 1, name: 'fixed', sql: 'create table half_done (id int);' }];
      const report = await withClient(db.url, (c) => migrateConnection(asConnection(c), undefined, fixed));
      expect(report.applied.map((a) => a.name)).toEqual(['fixed']);
    } finally {
      await db.drop();
    }
  });

  it('fails with exit code 1 and a clear message without DATABASE_URL or with a wrong password', async () => {
    const none = await runNode(migrateJs, {});
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^migrate: invalid configuration:\n {2}- DATABASE_URL is required but not set/);
    const db = await freshDatabase();
    try {
      const url = new URL(db.url);
      url.password = 'wrong-password';
      const wrong = await runNode(migrateJs, { DATABASE_URL: url.toString() });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^migrate: failed: password authentication failed for user .* \(28P01\)/);
      expect(wrong.stderr + wrong.stdout).not.toContain('wrong-password');
    } finally {
      await db.drop();
    }
  });
});

describe('the built server', () => {
  // (Port 1 is never bound: the server stops before it listens.)
  it('without DATABASE_URL and without PGlite installed (as in the image), exits 1 saying DATABASE_URL is required', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'backend-image-like-'));
    try {
      copyFileSync(serverJs, path.join(dir, 'server.js'));
      const r = await runNode(path.join(dir, 'server.js'), { JWT_SECRET: 'x'.repeat(32), PORT: '1', HOST: '127.0.0.1' }, dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/DATABASE_URL is required/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a JWT secret, exits 1 naming the variables', async () => {
    const r = await runNode(serverJs, { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^backend: invalid configuration:\n {2}- JWT_SECRET or JWT_SECRET_FILE must be set/);
  });
});

describe('migrations that cannot wedge a rollout', () => {
  it('waits for the migration lock at most MIGRATION_LOCK_TIMEOUT_SECONDS, logging the holder, then exits 1 naming it', async () => {
    const db = await freshDatabase();
    const holder = new pg.Client({ connectionString: db.url, application_name: 'stuck-migration' });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [0x746f646f]);
      const t0 = Date.now();
      const r = await runNode(migrateJs, { DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT_SECONDS: '3' });
      const took = Date.now() - t0;
      expect(r.code).toBe(1);
      expect(took).toBeGreaterThanOrEqual(2900);
      expect(took).toBeLessThan(8000);
      expect(r.stderr).toMatch(/^migrate: failed: waited 3 s for the migration lock, held by PostgreSQL backend \d+ \(application "stuck-migration"/);
      expect(r.stdout).toMatch(/"msg":"migrations: waiting for the migration lock"/);
      expect(r.stdout).toContain('stuck-migration');
      console.log(`lock: exit ${r.code} after ${took} ms: ${r.stderr.trim()}`);
    } finally {
      await holder.end();
      await db.drop();
    }
  });

  it('retries "too many connections" (53300) with backoff instead of failing at once', async () => {
    const db = await freshDatabase();
    const role = `it_budget_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.ADMIN_DATABASE_URL ?? db.url });
    await admin.connect();
    const url = new URL(db.url);
    await admin.query(`create role ${role} login password 'budget-pw' connection limit 1`);
    await admin.query(`grant all on database ${url.pathname.slice(1)} to ${role}`);
    await withClient(db.url, (c) => c.query(`grant usage, create on schema public to ${role}`));
    url.username = role;
    url.password = 'budget-pw';
    const hog = new pg.Client({ connectionString: url.toString() });
    await hog.connect(); // the role's only connection slot
    try {
      const run = runNode(migrateJs, { DATABASE_URL: url.toString(), MIGRATION_CONNECT_DEADLINE_SECONDS: '20' });
      await new Promise((r) => setTimeout(r, 2500));
      await hog.end(); // a slot frees up
      const r = await run;
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const retries = r.stdout.match(/the database has no connection slot free; retrying/g) ?? [];
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(r.stdout).toContain(`"msg":"migrations: ${MIGRATIONS.length} applied"`);
      console.log(`53300: ${retries.length} retries, then migrated`);
    } finally {
      await hog.end().catch(() => {});
      await db.drop();
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    }
  });

  it('supports separate roles: the migration owns the schema, the application role only reads and writes rows', async () => {
    const db = await freshDatabase();
    const app = `it_app_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.ADMIN_DATABASE_URL ?? db.url });
    await admin.connect();
    await admin.query(`create role ${app} login password 'app-pw'`);
    const dbName = new URL(db.url).pathname.slice(1);
    await admin.query(`grant connect on database ${dbName} to ${app}`);
    // PostgreSQL < 15 lets every role create in the public schema: take that away, as 15 does.
    const owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
    await owner.query('revoke create on schema public from public');
    await owner.end();
    try {
      const m = await runNode(migrateJs, { DATABASE_URL: db.url, MIGRATION_APP_ROLE: app });
      expect({ code: m.code, stderr: m.stderr }).toEqual({ code: 0, stderr: '' });
      expect(m.stdout).toContain('granted the application role DML on the tables');
      const appUrl = new URL(db.url);
      appUrl.username = app;
      appUrl.password = 'app-pw';
      await withClient(appUrl.toString(), async (c) => {
        // Rows: yes (the triggers run too).
        const u = await c.query(`insert into users (email, password_hash) values ('roles@example.test', 'x') returning id`);
        await c.query(`insert into tasks (user_id, title) values ($1, 'by the app role')`, [u.rows[0].id]);
        expect((await c.query('select task_count from users where id = $1', [u.rows[0].id])).rows[0].task_count).toBe(1);
        expect((await c.query('select max(version) as v from schema_migrations')).rows[0].v).toBe(LATEST_VERSION);
        // Schema and migration record: no.
        await expect(c.query('create table sneaky (id int)')).rejects.toThrow(/permission denied/);
        await expect(c.query('alter table tasks add column sneaky int')).rejects.toThrow(/must be owner/);
        await expect(c.query('delete from schema_migrations')).rejects.toThrow(/permission denied/);
        await expect(c.query('drop table tasks')).rejects.toThrow(/must be owner/);
      });
    } finally {
      await db.drop();
      await admin.query(`drop role if exists ${app}`);
      await admin.end();
    }
  });
});
