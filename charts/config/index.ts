/**
 * The configuration module: environment names, their validated configuration, and the CI
 * overrides. Imported by the synth entry point (app/main.ts), the tests and the ops tool (ops/).
 */
import { execFileSync } from 'node:child_process';
import { IMAGE_REPOSITORIES, IMAGE_REVISION_LENGTH } from '@todo/contract';
import { ENVIRONMENTS } from './environments';
import { environmentSchema, imageRefProblem, type EnvironmentConfig, type EnvironmentInput } from './schema';

export { environmentSchema, IMAGE_REF, HOST_PATTERN, imageRefProblem } from './schema';
export type { EnvironmentConfig, EnvironmentInput } from './schema';
export { ENVIRONMENTS };

export type EnvironmentName = keyof typeof ENVIRONMENTS;
export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS) as EnvironmentName[];

/** A configuration problem; `message` is the one line (or lines) to print. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Values CI may change without editing code (environment variables or synth flags). */
export interface Overrides {
  /** TODO_IMAGE_REGISTRY / --image-registry */
  imageRegistry?: string;
  /** TODO_IMAGE_TAG / --image-tag */
  imageTag?: string;
  /** TODO_BACKEND_IMAGE / --backend-image: full reference, e.g. with @sha256 digest */
  backendImage?: string;
  /** TODO_FRONTEND_IMAGE / --frontend-image */
  frontendImage?: string;
  /** TODO_HOST / --host: replaces the entry point's hosts (Ingress or HTTPRoute) with this one */
  host?: string;
}

/**
 * Each override, its environment variable and its synth flag (documented in docs/infrastructure.md).
 * `perEnvironment`: the value means one deployment (a host, a pinned image, a registry), so it applies
 * only to the environments `--env` names and synth refuses it without `--env`.
 */
export const OVERRIDE_VARIABLES: Record<keyof Overrides, { env: string; flag: string; description: string; perEnvironment: boolean }> = {
  imageRegistry: { env: 'TODO_IMAGE_REGISTRY', flag: '--image-registry', description: 'images.registry of the environments named with --env', perEnvironment: true },
  imageTag: { env: 'TODO_IMAGE_TAG', flag: '--image-tag', description: 'images.tag of every synthesized environment (instead of the git revision)', perEnvironment: false },
  backendImage: { env: 'TODO_BACKEND_IMAGE', flag: '--backend-image', description: 'backend.image of the environments named with --env: a full reference, pinnable by digest', perEnvironment: true },
  frontendImage: { env: 'TODO_FRONTEND_IMAGE', flag: '--frontend-image', description: 'frontend.image of the environments named with --env: a full reference, pinnable by digest', perEnvironment: true },
  host: { env: 'TODO_HOST', flag: '--host', description: 'gateway.hosts or ingress.hosts = [this host] of the environments named with --env (each must have a Gateway or an Ingress)', perEnvironment: true },
};

/**
 * Refuses an override that means one deployment when no environment was named (`--env`): without
 * it, the value would be applied to every environment (production's host on staging, ...).
 */
export function checkOverrideScope(namedEnvironments: readonly string[] | undefined, o: Overrides): void {
  if (namedEnvironments?.length) return;
  const global = (Object.keys(o) as (keyof Overrides)[]).filter((k) => o[k] !== undefined && OVERRIDE_VARIABLES[k].perEnvironment);
  if (global.length) {
    const names = global.map((k) => `${OVERRIDE_VARIABLES[k].flag} (${OVERRIDE_VARIABLES[k].env})`).join(', ');
    throw new ConfigError(`${names} applies to the environments you name: add --env NAME (known: ${ENVIRONMENT_NAMES.join(', ')})`);
  }
}

export function overridesFromEnv(env: Record<string, string | undefined>): Overrides {
  const out: Overrides = {};
  for (const [key, v] of Object.entries(OVERRIDE_VARIABLES) as [keyof Overrides, { env: string }][]) {
    const value = env[v.env];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/** The Kubernetes object names of one environment (the ops tool uses them too). */
export interface ResourceNames {
  backend: string;
  frontend: string;
  backendConfig: string;
  frontendConfig: string;
  postgres: string;
  postgresConfig: string;
  /** The Ingress or the HTTPRoute. */
  entry: string;
}
export const NAMES: ResourceNames = {
  backend: 'todo-backend',
  frontend: 'todo-frontend',
  backendConfig: 'todo-backend-config',
  frontendConfig: 'todo-frontend-config',
  postgres: 'todo-postgres',
  postgresConfig: 'todo-postgres-config',
  entry: 'todo',
};

export const POSTGRES_PORT = 5432;

/**
 * Labels a smoke-test pod (the ops tool's `smoke` command) carries so the NetworkPolicies let it
 * reach both Services and the entry point; add `releaseLabels(env)`'s instance label too.
 */
export const SMOKE_TEST_LABELS = { 'app.kubernetes.io/component': 'smoke-test' } as const;

/** An environment after validation, defaults and overrides, with its derived values. */
export interface ResolvedEnvironment {
  config: EnvironmentConfig;
  name: string;
  namespace: string;
  secretName: string;
  names: ResourceNames;
  images: { backend: string; frontend: string };
  /** In-cluster PostgreSQL (dev): what the ops tool needs to compose DATABASE_URL. */
  database:
    | { kind: 'in-cluster'; serviceName: string; host: string; port: number; user: string; database: string }
    | { kind: 'external'; port: number };
  /** The backend Service's in-cluster URL. */
  backendUrl: string;
}

let gitRevision: string | undefined;
function gitTag(envName: string): string {
  if (gitRevision === undefined) {
    try {
      gitRevision = execFileSync('git', ['rev-parse', `--short=${IMAGE_REVISION_LENGTH}`, 'HEAD'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch (e) {
      throw new ConfigError(
        `environment "${envName}": images.tag is unset and the git revision is unavailable (${(e as Error).message.split('\n')[0]}); set TODO_IMAGE_TAG or --image-tag`,
      );
    }
  }
  return gitRevision;
}

function describeIssues(envName: string, error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((i) => {
      const field = i.path.map(String).join('.');
      // Custom messages already start with the field name; zod's own do not.
      return `environment "${envName}": ${field && !i.message.startsWith(field) ? `${field}: ` : ''}${i.message}`;
    })
    .join('\n');
}

/** Validates one configuration object (already merged with overrides). Throws ConfigError. */
export function validateEnvironment(envName: string, input: unknown): EnvironmentConfig {
  const parsed = environmentSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(describeIssues(envName, parsed.error));
  if (parsed.data.name !== envName) {
    throw new ConfigError(`environment "${envName}": name ("${parsed.data.name}") must equal the environment's key`);
  }
  return parsed.data;
}

function imageFor(envName: string, cfg: EnvironmentConfig, tier: 'backend' | 'frontend'): string {
  const ref =
    cfg[tier].image ??
    `${cfg.images.registry ? `${cfg.images.registry}/` : ''}${IMAGE_REPOSITORIES[tier]}:${cfg.images.tag ?? gitTag(envName)}`;
  const problem = imageRefProblem(ref);
  if (problem) throw new ConfigError(`environment "${envName}": ${tier}.image: ${problem}`);
  return ref;
}

/** Applies overrides to an input object, before validation (so they are validated by the same schema). */
export function applyOverrides(envName: string, input: EnvironmentInput, o: Overrides): EnvironmentInput {
  const out = structuredClone(input) as EnvironmentInput & Record<string, any>;
  if (o.imageRegistry !== undefined || o.imageTag !== undefined) {
    out.images = { ...out.images, ...(o.imageRegistry !== undefined && { registry: o.imageRegistry }), ...(o.imageTag !== undefined && { tag: o.imageTag }) };
  }
  if (o.backendImage !== undefined) out.backend = { ...out.backend, image: o.backendImage };
  if (o.frontendImage !== undefined) out.frontend = { ...out.frontend, image: o.frontendImage };
  if (o.host !== undefined) {
    const entry = out.gateway ? 'gateway' : out.ingress ? 'ingress' : undefined;
    if (!entry) throw new ConfigError(`environment "${envName}": gateway: ${OVERRIDE_VARIABLES.host.flag} needs a Gateway or an Ingress, and this environment has neither`);
    if (entry === 'gateway') out.gateway = { ...out.gateway!, hosts: [o.host] };
    else out.ingress = { ...out.ingress!, hosts: [o.host] };
  }
  return out;
}

/** Resolves a configuration object (not necessarily one of ENVIRONMENTS; tests pass bad ones). */
export function resolveConfig(envName: string, input: EnvironmentInput, overrides: Overrides = {}): ResolvedEnvironment {
  const config = validateEnvironment(envName, applyOverrides(envName, input, overrides));
  const images = { backend: imageFor(envName, config, 'backend'), frontend: imageFor(envName, config, 'frontend') };
  const db = config.database;
  return {
    config,
    name: config.name,
    namespace: config.namespace,
    secretName: config.secretName,
    names: NAMES,
    images,
    database:
      db.kind === 'in-cluster'
        ? {
            kind: 'in-cluster',
            serviceName: NAMES.postgres,
            host: `${NAMES.postgres}.${config.namespace}.svc.cluster.local`,
            port: POSTGRES_PORT,
            user: db.user,
            database: db.database,
          }
        : { kind: 'external', port: db.port },
    backendUrl: `http://${NAMES.backend}.${config.namespace}.svc.cluster.local:${SERVICE_PORT}`,
  };
}

/** The port every Service exposes (the containers listen on the contract's ports; targetPort names them). */
export const SERVICE_PORT = 80;

/** Resolves one of the named environments. An unknown name is a ConfigError listing the known ones. */
export function resolveEnvironment(name: string, overrides: Overrides = {}): ResolvedEnvironment {
  if (!Object.hasOwn(ENVIRONMENTS, name)) {
    throw new ConfigError(`unknown environment "${name}" (known: ${ENVIRONMENT_NAMES.join(', ')})`);
  }
  checkDistinctNamespaces(ENVIRONMENTS);
  return resolveConfig(name, ENVIRONMENTS[name as EnvironmentName], overrides);
}

/**
 * Resolves the environments `--env` named (all when none): overrides that mean one deployment need
 * a named environment. Every environment is resolved before the caller writes anything.
 */
export function resolveEnvironments(named: readonly string[] | undefined, overrides: Overrides = {}): ResolvedEnvironment[] {
  checkOverrideScope(named, overrides);
  return (named?.length ? [...new Set(named)] : ENVIRONMENT_NAMES).map((n) => resolveEnvironment(n, overrides));
}

/** Two environments in one namespace would overwrite each other's objects (and a prune would delete them). */
export function checkDistinctNamespaces(envs: Record<string, { namespace: string }>): void {
  const owner = new Map<string, string>();
  for (const [name, e] of Object.entries(envs)) {
    const other = owner.get(e.namespace);
    if (other) throw new ConfigError(`environment "${name}": namespace: "${e.namespace}" is already the namespace of environment "${other}"`);
    owner.set(e.namespace, name);
  }
}
