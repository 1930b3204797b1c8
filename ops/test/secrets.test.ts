/** secrets: random values that never appear on a command line or in the output. */
import { mutations, putSecret, runCli, world, type Call, type World } from './fakes';

const decoded = (w: World) => {
  const s = w.cluster.find('Secret', 'todo-secrets', 'todo-dev')!;
  return Object.fromEntries(Object.entries<string>(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
};

/** No secret value in any argv, any log line, or any stdin other than the Secret/SQL ones. */
function expectNeverLeaked(w: World, values: string[]) {
  for (const v of values) {
    expect(v.length).toBeGreaterThan(8);
    for (const c of w.journal as Call[]) expect(c.args.join(' ')).not.toContain(v);
    expect(w.log.text).not.toContain(v);
    expect(w.log.text).not.toContain(Buffer.from(v).toString('base64'));
  }
}

describe('secrets', () => {
  test('dev: creates the namespace and the Secret with jwt-secret, postgres-password and a composed database-url, through stdin only', () => {
    const w = world();
    expect(runCli(w, ['secrets', '--env', 'dev'])).toBe(0);
    const s = decoded(w);
    expect(Object.keys(s).sort()).toEqual(['database-url', 'jwt-secret', 'migration-database-url', 'postgres-password']);
    expect(s['jwt-secret'].length).toBeGreaterThanOrEqual(32);
    expect(s['postgres-password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(s['database-url']).toBe(`postgres://todo:${s['postgres-password']}@todo-postgres.todo-dev.svc.cluster.local:5432/todo`);
    // the in-cluster PostgreSQL has one role: the migrations connect as the application does
    expect(s['migration-database-url']).toBe(s['database-url']);
    expectNeverLeaked(w, Object.values(s));
    // the only calls that carry a value are the server-side applies through stdin
    const applies = mutations(w.cluster.calls);
    expect(applies.map((c) => c.args)).toEqual([
      ['apply', '--server-side', '--field-manager=todo-ops', '--force-conflicts', '-f', '-'],
      ['apply', '--server-side', '--field-manager=todo-ops', '--force-conflicts', '-f', '-'],
    ]);
    expect(JSON.parse(applies[0].stdin!)).toMatchObject({ kind: 'Namespace', metadata: { name: 'todo-dev', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    expect(JSON.parse(applies[1].stdin!)).toMatchObject({ kind: 'Secret', metadata: { name: 'todo-secrets', namespace: 'todo-dev' } });
    expect(w.log.text).toContain('Secret todo-dev/todo-secrets: create; generated: jwt-secret, postgres-password, database-url, migration-database-url');
  });

  test('without --rotate existing keys are kept; only missing ones are generated (database-url from the existing password)', () => {
    const w = world();
    w.cluster.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'todo-dev' } });
    putSecret(w.cluster, 'todo-dev', 'todo-secrets', { 'jwt-secret': 'existing-jwt-secret-0123456789abcdef', 'postgres-password': 'existing-pw-123' });
    expect(runCli(w, ['secrets', '--env', 'dev'])).toBe(0);
    const s = decoded(w);
    expect(s['jwt-secret']).toBe('existing-jwt-secret-0123456789abcdef');
    expect(s['postgres-password']).toBe('existing-pw-123');
    expect(s['database-url']).toBe('postgres://todo:existing-pw-123@todo-postgres.todo-dev.svc.cluster.local:5432/todo');
    expect(s['migration-database-url']).toBe(s['database-url']);
    expectNeverLeaked(w, Object.values(s));
    expect(w.log.text).toContain('generated: database-url, migration-database-url; from stdin: none; kept: jwt-secret, postgres-password');
  });

  test('nothing missing and no --rotate: nothing applied', () => {
    const w = world();
    const url = 'postgres://todo:pppp@h:5432/todo';
    putSecret(w.cluster, 'todo-dev', 'todo-secrets', { 'jwt-secret': 'x'.repeat(40), 'postgres-password': 'p'.repeat(20), 'database-url': url, 'migration-database-url': url });
    expect(runCli(w, ['secrets', '--env', 'dev'])).toBe(0);
    expect(mutations(w.cluster.calls)).toEqual([]);
    expect(w.log.text).toContain('nothing to do');
  });

  test('--rotate replaces every value, changes the PostgreSQL password through stdin first, then restarts the Deployments', () => {
    const w = world();
    const oldUrl = 'postgres://todo:old-password-123@h:5432/todo';
    const old = { 'jwt-secret': 'old-jwt-secret-0123456789abcdef0123', 'postgres-password': 'old-password-123', 'database-url': oldUrl, 'migration-database-url': oldUrl };
    putSecret(w.cluster, 'todo-dev', 'todo-secrets', old);
    w.cluster.upsert({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'todo-postgres-0', namespace: 'todo-dev' } });
    w.cluster.upsert({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'todo-backend', namespace: 'todo-dev' } });
    expect(runCli(w, ['secrets', '--env', 'dev', '--rotate'])).toBe(0);
    const s = decoded(w);
    for (const k of Object.keys(old) as (keyof typeof old)[]) expect(s[k]).not.toBe(old[k]);
    expect(s['database-url']).toContain(encodeURIComponent(s['postgres-password']));
    expect(s['migration-database-url']).toBe(s['database-url']);
    const m = mutations(w.cluster.calls);
    const exec = m.find((c) => c.args[0] === 'exec')!;
    expect(exec.args).toEqual(['exec', '-i', 'todo-postgres-0', '-n', 'todo-dev', '-c', 'postgres', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-U', 'todo', '-d', 'todo', '-f', '-']);
    expect(exec.stdin).toBe(`ALTER USER "todo" WITH PASSWORD '${s['postgres-password']}';\n`);
    const order = m.map((c) => (c.args[0] === 'apply' ? JSON.parse(c.stdin!).kind : c.args.slice(0, 2).join(' ')));
    expect(order).toEqual(['Namespace', 'exec -i', 'Secret', 'rollout restart']);
    expect(m[3].args).toEqual(['rollout', 'restart', 'deployment/todo-backend', '-n', 'todo-dev']);
    expectNeverLeaked(w, [...Object.values(s), ...Object.values(old)]);
  });

  test('production (external database): refuses to invent database-url, says what to do, changes nothing', () => {
    const w = world();
    expect(runCli(w, ['secrets', '--env', 'production', '--context', 'prod-eu-1'])).toBe(1);
    expect(w.log.text).toContain('environment production uses an external database: the tool does not invent database-url');
    expect(w.log.text).toContain('External Secrets Operator or Sealed Secrets (docs/secrets.md)');
    expect(mutations(w.cluster.calls)).toEqual([]);
  });

  test('production with --database-url-stdin: the URL goes from stdin to stdin (also as the migrations\' URL, one role), jwt-secret is generated', () => {
    const w = world();
    w.stdin = 'postgres://todo:db-password-from-vault@db.internal:5432/todo\n';
    expect(runCli(w, ['secrets', '--env', 'production', '--context', 'prod-eu-1', '--database-url-stdin'])).toBe(0);
    const s = w.cluster.find('Secret', 'todo-secrets', 'todo-production')!;
    const data = Object.fromEntries(Object.entries<string>(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(Object.keys(data).sort()).toEqual(['database-url', 'jwt-secret', 'migration-database-url']);
    expect(data['database-url']).toBe('postgres://todo:db-password-from-vault@db.internal:5432/todo');
    expect(data['migration-database-url']).toBe(data['database-url']);
    expect(w.log.text).toContain('generated: jwt-secret; from stdin: database-url, migration-database-url');
    expectNeverLeaked(w, Object.values(data));
  });

  test('production, two roles: --migration-database-url-stdin sets the migrations\' URL and keeps the application\'s', () => {
    const w = world();
    putSecret(w.cluster, 'todo-production', 'todo-secrets', { 'jwt-secret': 'j'.repeat(64), 'database-url': 'postgres://todo_app:app-password-123@db.internal:5432/todo' });
    w.stdin = 'postgres://todo_owner:owner-password-456@db.internal:5432/todo\n';
    expect(runCli(w, ['secrets', '--env', 'production', '--context', 'prod-eu-1', '--migration-database-url-stdin'])).toBe(0);
    const s = w.cluster.find('Secret', 'todo-secrets', 'todo-production')!;
    const data = Object.fromEntries(Object.entries<string>(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(data['database-url']).toBe('postgres://todo_app:app-password-123@db.internal:5432/todo');
    expect(data['migration-database-url']).toBe('postgres://todo_owner:owner-password-456@db.internal:5432/todo');
    expectNeverLeaked(w, Object.values(data));
  });

  test('production: a missing migrations\' URL is never invented; both URL flags at once are refused', () => {
    const w = world();
    putSecret(w.cluster, 'todo-production', 'todo-secrets', { 'jwt-secret': 'j'.repeat(64), 'database-url': 'postgres://todo_app:app-password-123@db.internal:5432/todo' });
    expect(runCli(w, ['secrets', '--env', 'production', '--context', 'prod-eu-1'])).toBe(1);
    expect(w.log.text).toContain('the tool does not invent migration-database-url. Give it through stdin (npm run secrets -- --env production --migration-database-url-stdin < url-file');
    expect(mutations(w.cluster.calls)).toEqual([]);
    const both = world();
    both.stdin = 'postgres://a:b@c/d';
    expect(runCli(both, ['secrets', '--env', 'production', '--context', 'prod-eu-1', '--database-url-stdin', '--migration-database-url-stdin'])).toBe(1);
    expect(both.log.text).toContain('--database-url-stdin and --migration-database-url-stdin both read stdin: give one per run');
  });

  test('--dry-run says what it would do and applies nothing', () => {
    const w = world();
    expect(runCli(w, ['secrets', '--env', 'dev', '--dry-run'])).toBe(0);
    expect(mutations(w.cluster.calls)).toEqual([]);
    expect(w.log.text).toContain('dry run: Secret todo-dev/todo-secrets: create; generated: jwt-secret, postgres-password, database-url, migration-database-url');
  });

  test('--registry-credentials-stdin: the imagePullSecret from a Docker config.json, through stdin only, after the namespace', () => {
    const w = world();
    const auth = Buffer.from('robot:registry-token-0123456789').toString('base64');
    w.stdin = JSON.stringify({ auths: { 'registry.example.com': { auth } } });
    expect(runCli(w, ['secrets', '--env', 'production', '--context', 'prod-eu-1', '--registry-credentials-stdin'])).toBe(0);
    const applies = mutations(w.cluster.calls).map((c) => JSON.parse(c.stdin!));
    expect(applies.map((o) => o.kind)).toEqual(['Namespace', 'Secret']);
    expect(applies[1]).toMatchObject({ type: 'kubernetes.io/dockerconfigjson', metadata: { name: 'todo-registry', namespace: 'todo-production' } });
    expect(JSON.parse(Buffer.from(applies[1].data['.dockerconfigjson'], 'base64').toString('utf8')).auths['registry.example.com'].auth).toBe(auth);
    expectNeverLeaked(w, [auth, 'registry-token-0123456789']);
    expect(w.log.text).toContain('credentials for registry.example.com');
  });

  test('--registry-credentials-stdin is refused where no imagePullSecret is configured, and for input that is not a Docker config', () => {
    const dev = world();
    dev.stdin = '{"auths":{"r":{}}}';
    expect(runCli(dev, ['secrets', '--env', 'dev', '--registry-credentials-stdin'])).toBe(1);
    expect(dev.log.text).toContain('environment dev has no imagePullSecret');
    const prod = world();
    prod.stdin = 'user:password';
    expect(runCli(prod, ['secrets', '--env', 'production', '--context', 'prod-eu-1', '--registry-credentials-stdin'])).toBe(1);
    expect(prod.log.text).toContain('stdin is not JSON');
    expect(mutations(prod.cluster.calls)).toEqual([]);
  });
});
