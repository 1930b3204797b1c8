/**
 * The checks that run before anything changes in the cluster: kubectl on PATH, the context (and the
 * production guard), the API server's reachability and version, the custom kinds the manifests use
 * (Gateway API, cert-manager, Prometheus Operator), the Secrets and keys the pods reference, and
 * (local clusters) that the images are loaded. Each failure is one OpsError.
 */
import { IMAGE_REPOSITORIES, SECRET_KEYS } from '@todo/contract';
import type { Ctx } from './context';
import { OpsError } from './errors';
import { firstLine, type Kubectl, type Programs } from './exec';
import { imagesOf, secretRequirements, type Manifests } from './manifests';
import { servedKinds } from './prune';
import { managedKind } from './resources';
import { contextPolicy, LOCAL_CONTEXT, MAX_CLIENT_SKEW, SUPPORTED_SERVER_VERSIONS } from './settings';

export interface ClusterInfo {
  context: string;
  server: { major: number; minor: number; gitVersion: string };
}

export function requireKubectl(programs: Programs): void {
  if (!programs.has('kubectl')) {
    throw new OpsError('kubectl is not installed or not on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) and retry');
  }
}

/** The context kubectl will use: --context (which must exist in the kubeconfig) or the current one. */
export function resolveContext(kubectl: Kubectl, explicit?: string): string {
  if (explicit) {
    const r = kubectl.run(['config', 'get-contexts', explicit, '-o', 'name']);
    if (r.code !== 0 || r.stdout.trim() !== explicit) throw new OpsError(`context "${explicit}" is not in the kubeconfig (kubectl config get-contexts lists them)`);
    return explicit;
  }
  const r = kubectl.run(['config', 'current-context']);
  const name = r.stdout.trim();
  if (r.code !== 0 || !name) {
    throw new OpsError(`no current kubectl context (${firstLine(r.stderr) || 'none set'}): start a cluster, run kubectl config use-context NAME, or pass --context`);
  }
  return name;
}

/** Refuses a context that looks wrong for the environment (production). Says which rule refused it. */
export function checkContextPolicy(envName: string, context: string, explicit: boolean, processEnv: Record<string, string | undefined>): void {
  const policy = contextPolicy(envName, processEnv);
  if (!policy) return;
  if (policy.refuseLocalContexts && LOCAL_CONTEXT.test(context)) {
    throw new OpsError(`refusing to use context "${context}" for ${envName}: it is a local cluster (minikube, kind, docker-desktop, ...)`);
  }
  const variable = `TODO_OPS_${envName.toUpperCase()}_CONTEXTS`;
  if (policy.expectedContexts.length > 0) {
    if (!policy.expectedContexts.includes(context)) {
      throw new OpsError(
        `refusing to use context "${context}" for ${envName}: the expected contexts are ${policy.expectedContexts.join(', ')} (ops/src/settings.ts, ${variable})`,
      );
    }
    return;
  }
  if (policy.requireExplicitContext && !explicit) {
    throw new OpsError(
      `refusing to use the current context "${context}" for ${envName}: name the context explicitly with --context, or set the expected context names in ${variable}`,
    );
  }
}

function parseMinor(v: { major?: string; minor?: string }): { major: number; minor: number } | undefined {
  const major = Number.parseInt(v.major ?? '', 10);
  const minor = Number.parseInt(v.minor ?? '', 10);
  return Number.isFinite(major) && Number.isFinite(minor) ? { major, minor } : undefined;
}

/** Asks the API server for its version (fails when it does not answer); warns outside the supported range. */
export function checkServerVersion(ctx: Pick<Ctx, 'kubectl' | 'log'>, context: string): ClusterInfo['server'] {
  const r = ctx.kubectl.run(['version', '-o', 'json', '--request-timeout=15s']);
  let parsed: any = {};
  try {
    parsed = JSON.parse(r.stdout || '{}');
  } catch {
    /* handled below */
  }
  const server = parsed.serverVersion ? parseMinor(parsed.serverVersion) : undefined;
  if (!server) {
    const why = firstLine(r.stderr) || 'no answer';
    throw new OpsError(`cannot reach the Kubernetes API server of context "${context}": ${why}`);
  }
  const { min, max } = SUPPORTED_SERVER_VERSIONS;
  const n = server.major * 1000 + server.minor;
  const gitVersion = String(parsed.serverVersion.gitVersion ?? `v${server.major}.${server.minor}`);
  if (n < min.major * 1000 + min.minor || n > max.major * 1000 + max.minor) {
    ctx.log.warn(`server ${gitVersion} is outside the supported range ${min.major}.${min.minor}–${max.major}.${max.minor} (manifests for Kubernetes ${max.major}.${max.minor}, cdk8s-plus-33)`);
  }
  const client = parsed.clientVersion ? parseMinor(parsed.clientVersion) : undefined;
  if (client && client.major === server.major && Math.abs(client.minor - server.minor) > MAX_CLIENT_SKEW) {
    ctx.log.warn(`kubectl ${client.major}.${client.minor} is more than ${MAX_CLIENT_SKEW} minor version away from the server ${gitVersion}`);
  }
  return { ...server, gitVersion };
}

/** kubectl present, context resolved and allowed, API server reachable. */
export function connect(ctx: Ctx): ClusterInfo {
  requireKubectl(ctx.programs);
  const context = resolveContext(ctx.kubectl, ctx.args.context);
  checkContextPolicy(ctx.env.name, context, ctx.args.context !== undefined, ctx.processEnv);
  const server = checkServerVersion(ctx, context);
  ctx.log.info(`context ${context}, server ${server.gitVersion}, namespace ${ctx.env.namespace}`);
  return { context, server };
}

export function namespaceExists(kubectl: Kubectl, namespace: string): boolean {
  const r = kubectl.run(['get', 'namespace', namespace, '--ignore-not-found', '-o', 'name']);
  if (r.code !== 0) throw new OpsError(`cannot read namespace ${namespace}: ${firstLine(r.stderr)}`);
  return r.stdout.trim() !== '';
}

/**
 * The keys of a Secret and the length of each (base64) value, or undefined when it does not exist.
 * A go-template prints only names and lengths: the values never leave kubectl.
 */
export function secretKeyLengths(kubectl: Kubectl, namespace: string, name: string): Map<string, number> | undefined {
  const template = '{{.metadata.name}}{{"\\n"}}{{range $k, $v := .data}}{{$k}} {{len $v}}{{"\\n"}}{{end}}';
  const r = kubectl.run(['get', 'secret', name, '-n', namespace, '--ignore-not-found', '-o', `go-template=${template}`]);
  if (r.code !== 0) throw new OpsError(`cannot read Secret ${namespace}/${name}: ${firstLine(r.stderr)}`);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return undefined;
  const keys = new Map<string, number>();
  for (const l of lines.slice(1)) {
    const [k, n] = l.trim().split(' ');
    keys.set(k, Number(n));
  }
  return keys;
}

export function secretsHint(ctx: Pick<Ctx, 'env'>): string {
  return ctx.env.database.kind === 'in-cluster'
    ? `npm run secrets -- --env ${ctx.env.name}`
    : `npm run secrets -- --env ${ctx.env.name} --database-url-stdin < url-file, or manage it with External Secrets Operator / Sealed Secrets (docs/secrets.md)`;
}

/** Every Secret key the synthesized pods reference (non-optional) exists and is not empty. */
export function checkSecrets(ctx: Ctx, manifests: Manifests): void {
  const ns = ctx.env.namespace;
  const problems: string[] = [];
  let nsChecked: boolean | undefined;
  for (const req of secretRequirements(manifests.objects)) {
    const required = [...req.keys].filter(([, uses]) => uses.some((u) => !u.optional));
    const wholeRequired = req.wholeSecret.some((u) => !u.optional);
    if (required.length === 0 && !wholeRequired) continue;
    const have = secretKeyLengths(ctx.kubectl, ns, req.name);
    if (!have) {
      nsChecked ??= namespaceExists(ctx.kubectl, ns);
      const keys = required.map(([k]) => k).join(', ');
      problems.push(
        nsChecked
          ? `Secret ${ns}/${req.name} is missing (keys needed: ${keys || 'any'})`
          : `namespace ${ns} does not exist yet, so Secret ${req.name} (keys ${keys}) is missing`,
      );
      continue;
    }
    for (const [key, uses] of required) {
      const len = have.get(key);
      const who = uses.map((u) => u.usedBy).join('; ');
      if (len === undefined) problems.push(`Secret ${ns}/${req.name} has no key ${key} (used by ${who})`);
      else if (len === 0) problems.push(`Secret ${ns}/${req.name} key ${key} is empty (used by ${who})`);
      // base64 of fewer than 32 bytes is shorter than 44 characters (an estimate that never errs upward)
      else if (key === SECRET_KEYS.jwtSecret && (len / 4) * 3 < 32) problems.push(`Secret ${ns}/${req.name} key ${key} is shorter than 32 characters`);
    }
  }
  if (problems.length) throw new OpsError(`${problems.join('\n')}\ncreate or fix it: ${secretsHint(ctx)}`);
}

/** `todo-backend:abc` -> `docker.io/library/todo-backend:abc` (how container runtimes list images). */
export function normalizeImage(ref: string): string {
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** Local clusters: the app images (no registry) must be loaded into the cluster's runtime. Says what it could not check. */
export function checkLocalImages(ctx: Ctx, manifests: Manifests, context: string): void {
  const appRepos = new Set<string>(Object.values(IMAGE_REPOSITORIES));
  const images = imagesOf(manifests.objects).filter((ref) => appRepos.has(ref.split(/[:@]/)[0]));
  if (images.length === 0) return;
  const loadHint = (what: string) => `load them: scripts/build-images --load ${what} (docs/images.md)`;
  let listed: { where: string; images: Set<string> }[] = [];
  let hint: string;
  if (context === 'minikube') {
    if (!ctx.programs.has('minikube')) return void ctx.log.info(`could not check that ${images.join(', ')} are loaded into minikube: minikube is not on PATH`);
    const r = ctx.programs.run('minikube', ['-p', context, 'image', 'ls', '--format', 'short']);
    if (r.code !== 0) return void ctx.log.info(`could not check the images in minikube: ${firstLine(r.stderr)}`);
    listed = [{ where: `minikube (profile ${context})`, images: new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).map(normalizeImage)) }];
    hint = loadHint('minikube');
  } else if (context.startsWith('kind-')) {
    const cluster = context.slice('kind-'.length);
    for (const p of ['kind', 'docker']) {
      if (!ctx.programs.has(p)) return void ctx.log.info(`could not check that ${images.join(', ')} are loaded into kind: ${p} is not on PATH`);
    }
    const nodes = ctx.programs.run('kind', ['get', 'nodes', '--name', cluster]);
    if (nodes.code !== 0) return void ctx.log.info(`could not check the images in kind cluster ${cluster}: ${firstLine(nodes.stderr)}`);
    for (const node of nodes.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const r = ctx.programs.run('docker', ['exec', node, 'crictl', 'images', '-o', 'json']);
      if (r.code !== 0) return void ctx.log.info(`could not list the images of kind node ${node}: ${firstLine(r.stderr)}`);
      const tags: string[] = (JSON.parse(r.stdout).images ?? []).flatMap((i: { repoTags?: string[] }) => i.repoTags ?? []);
      listed.push({ where: `kind node ${node}`, images: new Set(tags.map(normalizeImage)) });
    }
    hint = loadHint(cluster === 'kind' ? 'kind' : `kind --kind-name ${cluster}`);
  } else {
    ctx.log.info(`could not check that the images are present: context "${context}" is neither minikube nor kind-*`);
    return;
  }
  const missing = listed.flatMap((l) => images.filter((i) => !l.images.has(normalizeImage(i))).map((i) => `${i} is not loaded into ${l.where}`));
  if (missing.length) throw new OpsError(`${missing.join('\n')}\n${hint}`);
  ctx.log.info(`images present in ${listed.map((l) => l.where).join(', ')}: ${images.join(', ')}`);
}

/** What provides each CRD-defined group the manifests may use (the CRDs are kept in schemas/crds/). */
const CRD_PROVIDERS: Record<string, string> = {
  'gateway.networking.k8s.io': 'the Gateway API CRDs (standard channel, schemas/crds/gateway-api-v1.4.1/) and an implementation of them',
  'cert-manager.io': 'cert-manager (its CRDs: schemas/crds/cert-manager-v1.21.1/)',
  'monitoring.coreos.com': 'the Prometheus Operator (its CRDs: schemas/crds/prometheus-operator-v0.93.0/), or set monitoring.discovery to annotations',
};

/** Every custom kind of the manifests (HTTPRoute, Certificate, ServiceMonitor ...) is served by the cluster. */
export function checkKinds(ctx: Ctx, manifests: Manifests): void {
  const custom = [...new Set(manifests.objects.map((o) => managedKind(o.apiVersion, o.kind)).filter((k) => k?.crd))];
  if (!custom.length) return;
  const served = new Set(servedKinds(ctx.kubectl).map((k) => k.resource));
  const missing = custom.filter((k) => !served.has(k!.resource));
  if (missing.length) {
    const groups = [...new Set(missing.map((k) => k!.group))];
    throw new OpsError(
      `the cluster does not serve ${missing.map((k) => `${k!.kind} (${k!.group})`).join(', ')}, which the manifests of ${ctx.env.name} use: install ${groups.map((g) => CRD_PROVIDERS[g] ?? g).join('; ')} (docs/infrastructure.md)`,
    );
  }
}

/** The whole preflight: connect, then the custom kinds, the Secrets, then (local images) the images. */
export function preflight(ctx: Ctx, manifests: Manifests, connected?: ClusterInfo): ClusterInfo {
  const info = connected ?? connect(ctx);
  checkKinds(ctx, manifests);
  checkSecrets(ctx, manifests);
  ctx.log.info(`Secrets present: ${secretRequirements(manifests.objects).map((r) => `${r.name} (${[...r.keys.keys()].join(', ')})`).join('; ') || 'none needed'}`);
  if (ctx.env.config.images.registry === undefined) checkLocalImages(ctx, manifests, info.context);
  return info;
}
