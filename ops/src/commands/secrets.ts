/**
 * secrets: creates or rotates the environment's Secret with random values. Values never appear on a
 * command line or in the output: the Secret goes to `kubectl apply --server-side -f -` through stdin,
 * and so does the SQL that changes the in-cluster PostgreSQL password on --rotate.
 *
 *   jwt-secret              48 random bytes, base64url (64 characters)
 *   postgres-password       24 random bytes, base64url (32 characters, URL-safe)   in-cluster database only
 *   database-url            postgres://USER:PASSWORD@HOST:5432/DB from ResolvedEnvironment.database (in-cluster);
 *                           for an external database never invented: --database-url-stdin or kept as is
 *   migration-database-url  the migrations' URL (a role that may change the schema): in-cluster the same URL as
 *                           database-url (one role does both); external: --migration-database-url-stdin, or, when
 *                           --database-url-stdin gives database-url and this key is missing, the same URL
 * Without --rotate, keys that exist are kept (only missing ones are generated).
 *
 * --registry-credentials-stdin instead creates (or replaces) the environment's `imagePullSecret`, of
 * type kubernetes.io/dockerconfigjson, from a Docker config.json read on stdin (e.g.
 * `< ~/.docker/config.json` after `docker login`), also through stdin and never printed.
 */
import { SECRET_KEYS } from '@todo/contract';
import { namespaceManifest, releaseLabels } from '../../../charts/labels';
import type { Ctx } from '../context';
import { OpsError } from '../errors';
import { firstLine } from '../exec';
import { findObject, namespaceObject, secretRequirements, type K8sObject } from '../manifests';
import { connect } from '../preflight';
import { FIELD_MANAGER } from '../settings';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export interface SecretPlan {
  data: Record<string, string>;
  generated: string[];
  kept: string[];
  fromStdin: string[];
  /** The new PostgreSQL password when it was rotated on an existing secret (the database must be told). */
  rotatedPostgresPassword?: string;
}

/** URLs read from stdin (--database-url-stdin or --migration-database-url-stdin). */
export interface UrlsFromStdin {
  databaseUrl?: string;
  migrationDatabaseUrl?: string;
}

/** Decides every key's value. Pure apart from randomness; throws before anything is applied. */
export function planSecret(ctx: Ctx, neededKeys: string[], existing: Record<string, string>, fromStdin: UrlsFromStdin = {}): SecretPlan {
  const rotate = ctx.args.flags.rotate === true;
  const db = ctx.env.database;
  const plan: SecretPlan = { data: {}, generated: [], kept: [], fromStdin: [] };
  const keys = [...new Set([...neededKeys, ...Object.keys(existing)])];
  // Order: the password before the URLs that contain it, database-url before the migration's (which may copy it).
  const rank = (k: string) => (k === SECRET_KEYS.migrationDatabaseUrl ? 2 : k === SECRET_KEYS.databaseUrl ? 1 : 0);
  keys.sort((a, b) => rank(a) - rank(b));
  const composed = () => {
    if (db.kind !== 'in-cluster') return undefined;
    const password = plan.data[SECRET_KEYS.postgresPassword] ?? existing[SECRET_KEYS.postgresPassword];
    if (!password) throw new OpsError(`cannot compose ${SECRET_KEYS.databaseUrl}: no ${SECRET_KEYS.postgresPassword}`);
    return `postgres://${db.user}:${encodeURIComponent(password)}@${db.host}:${db.port}/${db.database}`;
  };
  const stdinUrl = { [SECRET_KEYS.databaseUrl]: fromStdin.databaseUrl, [SECRET_KEYS.migrationDatabaseUrl]: fromStdin.migrationDatabaseUrl } as Record<string, string | undefined>;
  for (const key of keys) {
    const have = existing[key];
    if (stdinUrl[key] !== undefined) {
      plan.data[key] = stdinUrl[key]!;
      plan.fromStdin.push(key);
      continue;
    }
    const url = key === SECRET_KEYS.databaseUrl || key === SECRET_KEYS.migrationDatabaseUrl;
    const generable = key === SECRET_KEYS.jwtSecret || (db.kind === 'in-cluster' && (key === SECRET_KEYS.postgresPassword || url));
    if (have !== undefined && have !== '' && (!rotate || !generable)) {
      plan.data[key] = have;
      plan.kept.push(key);
      continue;
    }
    if (key === SECRET_KEYS.jwtSecret) {
      plan.data[key] = ctx.randomBytes(48).toString('base64url');
    } else if (key === SECRET_KEYS.postgresPassword && db.kind === 'in-cluster') {
      plan.data[key] = ctx.randomBytes(24).toString('base64url');
      if (have) plan.rotatedPostgresPassword = plan.data[key];
    } else if (url && db.kind === 'in-cluster') {
      plan.data[key] = composed()!; // the in-cluster PostgreSQL's one role owns the schema and the rows
    } else if (key === SECRET_KEYS.migrationDatabaseUrl && fromStdin.databaseUrl !== undefined) {
      plan.data[key] = fromStdin.databaseUrl; // one role for both (docs/backend.md, "Database roles", for two)
      plan.fromStdin.push(key);
      continue;
    } else if (url) {
      const flag = key === SECRET_KEYS.databaseUrl ? '--database-url-stdin' : '--migration-database-url-stdin';
      throw new OpsError(
        `environment ${ctx.env.name} uses an external database: the tool does not invent ${key}. ` +
          `Give it through stdin (npm run secrets -- --env ${ctx.env.name} ${flag} < url-file` +
          (key === SECRET_KEYS.migrationDatabaseUrl ? `; or --database-url-stdin, which sets both when one role migrates and serves` : '') +
          `), or create the Secret with External Secrets Operator or Sealed Secrets (docs/secrets.md)`,
      );
    } else {
      throw new OpsError(`Secret ${ctx.env.secretName}: the tool does not know how to generate key ${key}; create it yourself (docs/secrets.md)`);
    }
    plan.generated.push(key);
  }
  return plan;
}

export function secretObject(ctx: Ctx, data: Record<string, string>): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: ctx.env.secretName,
      namespace: ctx.env.namespace,
      labels: { ...releaseLabels(ctx.env.name), 'app.kubernetes.io/managed-by': FIELD_MANAGER },
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

const applyStdin = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'];

/** The Namespace to create before a Secret: the synthesized one (dist/<env>/00-namespace/ is not in the application's files), with its Pod Security labels. */
function namespaceToApply(ctx: Ctx, objects: readonly K8sObject[]): K8sObject {
  return namespaceObject(objects) ?? namespaceManifest(ctx.env);
}

function applyNamespace(ctx: Ctx, objects: readonly K8sObject[]): void {
  const r = ctx.kubectl.run(applyStdin, { stdin: JSON.stringify(namespaceToApply(ctx, objects)) });
  if (r.code !== 0) throw new OpsError(`cannot apply namespace ${ctx.env.namespace}: ${firstLine(r.stderr)}`);
}

/** --registry-credentials-stdin: the image pull Secret from a Docker config.json. */
function registryCredentials(ctx: Ctx): number {
  const env = ctx.env;
  const name = env.config.imagePullSecret;
  if (!name) throw new OpsError(`environment ${env.name} has no imagePullSecret in its configuration (charts/config/environments.ts): nothing to create`);
  if (ctx.args.flags['database-url-stdin'] || ctx.args.flags['migration-database-url-stdin'] || ctx.args.flags.rotate) {
    throw new OpsError('--registry-credentials-stdin reads stdin for itself: run --database-url-stdin, --migration-database-url-stdin or --rotate separately');
  }
  const text = ctx.readStdin().trim();
  let config: { auths?: Record<string, unknown> };
  try {
    config = JSON.parse(text);
  } catch {
    throw new OpsError('--registry-credentials-stdin: stdin is not JSON (give a Docker config.json, e.g. < ~/.docker/config.json)');
  }
  const registries = Object.keys(config?.auths ?? {});
  if (!registries.length) throw new OpsError('--registry-credentials-stdin: the config has no "auths" (run docker login for the registry first; a credential helper keeps them elsewhere)');
  const summary = `Secret ${env.namespace}/${name} (kubernetes.io/dockerconfigjson): credentials for ${registries.join(', ')}`;
  if (ctx.args.dryRun) {
    ctx.log.out(`dry run: ${summary}`);
    return 0;
  }
  ctx.log.step(`synthesizing ${env.name} (its Namespace)`);
  const manifests = ctx.synthesizer.synth(env.name);
  connect(ctx);
  applyNamespace(ctx, manifests.objects);
  const secret: K8sObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name, namespace: env.namespace, labels: { ...releaseLabels(env.name), 'app.kubernetes.io/managed-by': FIELD_MANAGER } },
    data: { '.dockerconfigjson': b64(JSON.stringify(config)) },
  };
  const r = ctx.kubectl.run(applyStdin, { stdin: JSON.stringify(secret) });
  if (r.code !== 0) throw new OpsError(`cannot apply Secret ${env.namespace}/${name}: ${firstLine(r.stderr)}`);
  ctx.log.out(summary);
  return 0;
}

export function secretsCommand(ctx: Ctx): number {
  if (ctx.args.flags['registry-credentials-stdin']) return registryCredentials(ctx);
  const env = ctx.env;
  const ns = env.namespace;
  const dry = ctx.args.dryRun;
  const fromStdin: UrlsFromStdin = {};
  const app = ctx.args.flags['database-url-stdin'] === true;
  const migration = ctx.args.flags['migration-database-url-stdin'] === true;
  if (app && migration) throw new OpsError('--database-url-stdin and --migration-database-url-stdin both read stdin: give one per run');
  if (app || migration) {
    const flag = app ? '--database-url-stdin' : '--migration-database-url-stdin';
    const url = ctx.readStdin().trim();
    if (!/^postgres(ql)?:\/\/\S+$/.test(url)) throw new OpsError(`${flag}: stdin does not hold a postgres:// or postgresql:// URL`);
    if (app) fromStdin.databaseUrl = url;
    else fromStdin.migrationDatabaseUrl = url;
  }
  ctx.log.step(`synthesizing ${env.name} (which Secret keys the pods reference)`);
  const manifests = ctx.synthesizer.synth(env.name);
  const req = secretRequirements(manifests.objects).find((r) => r.name === env.secretName);
  const needed = req ? [...req.keys.keys()] : [];
  connect(ctx);

  const got = ctx.kubectl.run(['get', 'secret', env.secretName, '-n', ns, '--ignore-not-found', '-o', 'json']);
  if (got.code !== 0) throw new OpsError(`cannot read Secret ${ns}/${env.secretName}: ${firstLine(got.stderr)}`);
  const existingObj = got.stdout.trim() ? (JSON.parse(got.stdout) as K8sObject) : undefined;
  const existing = Object.fromEntries(Object.entries<string>(existingObj?.data ?? {}).map(([k, v]) => [k, unb64(v)]));
  const plan = planSecret(ctx, needed, existing, fromStdin);
  const summary = `Secret ${ns}/${env.secretName}: ${existingObj ? 'update' : 'create'}; generated: ${plan.generated.join(', ') || 'none'}; from stdin: ${plan.fromStdin.join(', ') || 'none'}; kept: ${plan.kept.join(', ') || 'none'}`;
  if (dry) {
    ctx.log.out(`dry run: ${summary}`);
    return 0;
  }
  const changed = plan.generated.length + plan.fromStdin.length > 0;
  if (!changed) {
    ctx.log.out(`${summary} (nothing to do; --rotate replaces the generated values)`);
    return 0;
  }

  // The namespace first, so the Secret can exist before the first deploy.
  applyNamespace(ctx, manifests.objects);

  // On rotation of an existing PostgreSQL password, the running database must learn it first
  // (POSTGRES_PASSWORD is only read when the data directory is initialized).
  const pg = env.database;
  if (plan.rotatedPostgresPassword !== undefined && pg.kind === 'in-cluster') {
    const pod = `${pg.serviceName}-0`;
    const exists = ctx.kubectl.run(['get', 'pod', pod, '-n', ns, '--ignore-not-found', '-o', 'name']);
    if (exists.stdout.trim()) {
      const sql = `ALTER USER "${pg.user}" WITH PASSWORD '${plan.rotatedPostgresPassword.replace(/'/g, "''")}';\n`;
      const r = ctx.kubectl.run(['exec', '-i', pod, '-n', ns, '-c', 'postgres', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-U', pg.user, '-d', pg.database, '-f', '-'], { stdin: sql });
      if (r.code !== 0) throw new OpsError(`cannot change the PostgreSQL password in pod ${pod} (the Secret was not changed): ${firstLine(r.stderr)}`);
      ctx.log.info(`PostgreSQL password of user ${pg.user} changed in pod ${pod}`);
    } else {
      ctx.log.warn(`pod ${pod} is not running: if its data volume already exists, PostgreSQL keeps its old password (uninstall --delete-data starts over)`);
    }
  }

  const r = ctx.kubectl.run(applyStdin, { stdin: JSON.stringify(secretObject(ctx, plan.data)) });
  if (r.code !== 0) throw new OpsError(`cannot apply Secret ${ns}/${env.secretName}: ${firstLine(r.stderr)}`);
  ctx.log.out(summary);

  // Running pods read Secret values at start: restart the Deployments that use this Secret.
  if (existingObj && req) {
    const users = new Set([...req.keys.values()].flat().map((u) => u.usedBy.split(' ')[0]));
    for (const ref of users) {
      const [kind, name] = ref.split('/');
      if (kind !== 'Deployment' || !findObject(manifests.objects, kind, name)) continue;
      const live = ctx.kubectl.run(['get', 'deployment', name, '-n', ns, '--ignore-not-found', '-o', 'name']);
      if (!live.stdout.trim()) continue;
      const rr = ctx.kubectl.run(['rollout', 'restart', `deployment/${name}`, '-n', ns]);
      ctx.log.info(rr.code === 0 ? `restarted deployment/${name} (it reads the Secret at start)` : `could not restart deployment/${name}: ${firstLine(rr.stderr)}`);
    }
  }
  return 0;
}
