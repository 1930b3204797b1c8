/**
 * Bad configurations stop synth with one message per problem, each naming the environment and the
 * field, before anything is written. One table row per kind of value the API server or the cluster
 * would refuse, or that would harm it (the categories of docs/configuration.md's "Rules").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkDistinctNamespaces,
  ConfigError,
  ENVIRONMENTS,
  ENVIRONMENT_NAMES,
  overridesFromEnv,
  resolveConfig,
  resolveEnvironment,
  resolveEnvironments,
  type EnvironmentInput,
} from '../charts/config';
import { synthesizeAll } from '../charts/synth';

const base = ENVIRONMENTS.production as EnvironmentInput;
const tag = { imageTag: 'v1' };
const UNKNOWN = `${ENVIRONMENT_NAMES.join('-')}-not-an-environment`;

/** The message resolving `production` with `patch` applied gives (throws if it is accepted). */
function rejection(patch: (e: any) => void, overrides = tag): string {
  const input = structuredClone(base) as any;
  patch(input);
  try {
    resolveConfig('production', input, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

/** Production's entry point as an Ingress (for the cases about Ingress fields). */
const asIngress = (e: any, ingress: object = {}) => {
  delete e.gateway;
  e.ingress = { className: 'traefik', hosts: ['todo.example.com'], controller: { namespace: 'traefik' }, tls: { secretName: 'todo-tls' }, ...ingress };
};

const small = (requests: [string, string], limits: [string, string]) => ({ requests: { cpu: requests[0], memory: requests[1] }, limits: { cpu: limits[0], memory: limits[1] } });

// [category, case, patch, the one line expected]
const CASES: [string, string, (e: any) => void, string][] = [
  ['limits below requests', 'CPU limit below its request', (e) => (e.backend.resources = small(['2', '384Mi'], ['1', '384Mi'])), 'backend.resources.limits.cpu: the limit (1) is below the request (2); the API server refuses it'],
  ['limits below requests', 'memory limit below its request', (e) => (e.frontend.resources = small(['100m', '256Mi'], ['500m', '192Mi'])), 'frontend.resources.limits.memory: the limit (192Mi) is below the request (256Mi)'],
  ['duplicate hosts', 'the same host twice', (e) => (e.gateway.hosts = ['todo.example.com', 'todo.example.com']), 'gateway.hosts.1: "todo.example.com" is listed twice'],
  ['duplicate hosts', 'the same host twice on an Ingress', (e) => asIngress(e, { hosts: ['todo.example.com', 'todo.example.com'] }), 'ingress.hosts.1: "todo.example.com" is listed twice'],
  ['reserved namespaces', 'kube-system', (e) => (e.namespace = 'kube-system'), 'namespace: "kube-system" is reserved for the cluster (kube-* and default)'],
  ['reserved namespaces', 'kube-public', (e) => (e.namespace = 'kube-public'), 'namespace: "kube-public" is reserved for the cluster'],
  ['reserved namespaces', 'default', (e) => (e.namespace = 'default'), 'namespace: "default" is reserved for the cluster'],
  ['names', 'namespace not a DNS label', (e) => (e.namespace = 'Todo_Production'), 'namespace: must be a DNS label'],
  ['names', 'Secret name not a DNS subdomain', (e) => (e.secretName = 'todo secrets'), 'secretName: must be a DNS subdomain'],
  ['names', 'TLS Secret name', (e) => (e.gateway.tls.secretName = 'TLS'), 'gateway.tls.secretName: must be a DNS subdomain'],
  ['names', 'issuer name', (e) => (e.gateway.tls.issuer.name = 'Lets Encrypt'), 'gateway.tls.issuer.name: must be a DNS subdomain'],
  ['names', 'Gateway namespace', (e) => (e.gateway.shared.namespace = 'Gateway_System'), 'gateway.shared.namespace: must be a DNS label'],
  ['names', 'IngressClass name', (e) => asIngress(e, { className: 'Nginx Class' }), 'ingress.className: must be a DNS subdomain'],
  ['names', 'an Ingress without a class (no default names a controller)', (e) => asIngress(e, { className: undefined }), 'ingress.className: Invalid input'],
  ['names', 'pull Secret name', (e) => (e.imagePullSecret = '-registry'), 'imagePullSecret: must be a DNS subdomain'],
  ['names', 'PriorityClass reserved for the system', (e) => (e.priorityClassName = 'system-cluster-critical'), 'priorityClassName: the system- PriorityClasses are reserved'],
  ['names', 'environment name longer than a label allows', (e) => (e.name = 'p'.repeat(59)), 'name: at most 58 characters'],
  ['names', 'host name', (e) => (e.gateway.hosts = ['Todo_Example.com']), 'gateway.hosts.0: "Todo_Example.com" is not a valid host name'],
  ['label and annotation keys', 'node selector key', (e) => (e.scheduling = { nodeSelector: { 'disk type': 'ssd' } }), 'scheduling.nodeSelector.disk type: key "disk type" is not a valid label/annotation key'],
  ['label and annotation keys', 'node selector value', (e) => (e.scheduling = { nodeSelector: { 'kubernetes.io/os': 'linux os' } }), 'scheduling.nodeSelector.kubernetes.io/os: value "linux os" is not a valid label value'],
  ['label and annotation keys', 'annotation key', (e) => asIngress(e, { annotations: { 'cert-manager.io/cluster issuer': 'x' } }), 'ingress.annotations.cert-manager.io/cluster issuer: key "cert-manager.io/cluster issuer" is not a valid label/annotation key'],
  ['label and annotation keys', "the gateway pods' labels", (e) => (e.gateway.pods.podLabels = { 'app name': 'x' }), 'gateway.pods.podLabels.app name: key "app name" is not a valid label/annotation key'],
  ['label and annotation keys', "the scraper's labels", (e) => (e.monitoring.scraper.podLabels = { app: 'prometheus server' }), 'monitoring.scraper.podLabels.app: value "prometheus server" is not a valid label value'],
  ['label and annotation keys', 'toleration key prefix', (e) => (e.scheduling = { tolerations: [{ key: 'Example.com/x', operator: 'Exists' }] }), 'scheduling.tolerations.0.key: key "Example.com/x": its prefix must be a DNS subdomain'],
  ['CIDRs', 'not a CIDR', (e) => (e.database.egress.cidrs = ['10.0.0/8']), 'database.egress.cidrs.0: "10.0.0/8" is not a CIDR'],
  ['CIDRs', 'leading zeros (Go refuses them)', (e) => (e.database.egress.cidrs = ['010.0.0.0/8']), 'database.egress.cidrs.0: "010.0.0.0/8" is not a CIDR'],
  ['CIDRs', 'host bits set', (e) => (e.database.egress.cidrs = ['10.1.2.3/16']), 'database.egress.cidrs.0: "10.1.2.3/16" has address bits set after the /16 prefix (the network is 10.1.0.0/16)'],
  ['CIDRs', 'IPv6 host bits set', (e) => (e.database.egress.cidrs = ['2001:db8::1/64']), 'database.egress.cidrs.0: "2001:db8::1/64" has address bits set'],
  ['CIDRs', 'a trusted proxy range that is no CIDR', (e) => (e.backend.trustedProxyCidrs = ['10.0.0.0']), 'backend.trustedProxyCidrs.0: "10.0.0.0" is not a CIDR'],
  ['what would harm the cluster', 'a database egress open to every address', (e) => (e.database.egress.cidrs = ['10.30.0.0/24', '0.0.0.0/0']), 'database.egress.cidrs.1: "0.0.0.0/0" opens the database port towards every address: name the database\'s network, or set database.egress.allowWorld: true to accept it'],
  ['what would harm the cluster', 'IPv6 too', (e) => (e.database.egress.cidrs = ['::/0']), 'database.egress.cidrs.0: "::/0" opens the database port towards every address'],
  ['entry point', 'TLS without a host', (e) => (e.gateway.hosts = []), 'gateway.tls: TLS without a host: the certificate names the hosts, set gateway.hosts'],
  ['entry point', 'a gateway listener without TLS while TLS is asked for', (e) => (e.gateway.shared.protocol = 'HTTP'), 'gateway.shared.protocol: listener "https-todo" is HTTP, but gateway.tls asks for TLS: attach to an HTTPS listener that references the Secret todo-tls'],
  ['entry point', 'an issuer without TLS (the Ingress annotation)', (e) => asIngress(e, { tls: undefined, annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } }), 'ingress.annotations.cert-manager.io/cluster-issuer: an issuer without TLS: cert-manager issues nothing for an Ingress without tls; set ingress.tls (secretName and issuer) instead'],
  ['entry point', 'the issuer as an untyped annotation', (e) => asIngress(e, { annotations: { 'cert-manager.io/issuer': 'team-ca' } }), 'ingress.annotations.cert-manager.io/issuer: name the issuer in ingress.tls.issuer'],
  ['entry point', 'a Gateway both shared and own', (e) => (e.gateway.own = { className: 'traefik' }), 'gateway: set one of gateway.shared and gateway.own, not both'],
  ['entry point', 'a Gateway neither shared nor own', (e) => delete e.gateway.shared, 'gateway: set gateway.shared'],
  ['entry point', 'both a Gateway and an Ingress', (e) => (e.ingress = { className: 'traefik', hosts: ['todo.example.com'], controller: { namespace: 'traefik' } }), 'gateway: an environment has one entry point: remove ingress or gateway'],
  ['entry point', 'no entry point at all', (e) => delete e.gateway, 'gateway: an entry point is required unless frontendService.type is NodePort'],
  ['entry point', 'the gateway pods unnamed', (e) => delete e.gateway.pods, 'gateway.pods: Invalid input'],
  ['database egress', 'neither CIDRs nor pods', (e) => (e.database.egress = {}), 'database.egress: set egress.cidrs'],
  ['database egress', 'both CIDRs and pods', (e) => (e.database.egress.pods = { namespace: 'databases' }), 'database.egress: set one of egress.cidrs and egress.pods, not both'],
  ['database egress', 'allowWorld without a /0 range', (e) => (e.database.egress.allowWorld = true), 'database.egress.allowWorld: applies only to a /0 range'],
  ['monitoring', 'an unknown discovery', (e) => (e.monitoring.discovery = 'consul'), 'monitoring.discovery: Invalid option'],
  ['migrations', 'a role name PostgreSQL would refuse', (e) => (e.backend.migration = { appRole: 'todo-app' }), 'backend.migration.appRole: must be a PostgreSQL role name'],
  ['trusted proxies', 'none named', (e) => (e.backend.trustedProxyCidrs = []), 'backend.trustedProxyCidrs: Too small'],
  ['quantities', 'CPU in words', (e) => (e.backend.resources.requests.cpu = '1 core'), 'backend.resources.requests.cpu: "1 core" is not a Kubernetes quantity'],
  ['quantities', 'memory in milli-bytes', (e) => (e.backend.resources.limits.memory = '384m'), 'backend.resources.limits.memory: "384m" is in milli-bytes ("m"); write memory in Mi or Gi'],
  ['quantities', 'storage unit of another syntax', (e) => (e.backend.resources.ephemeralStorage = '1GB'), 'backend.resources.ephemeralStorage: "1GB" is not a Kubernetes quantity'],
  ['quantities', 'memory too small to run anything', (e) => (e.frontend.resources.requests.memory = '1Mi'), 'frontend.resources.requests.memory: "1Mi" is below 6Mi'],
  ['values that make no sense at scale', 'HPA memory target at the limit', (e) => (e.hpa.memoryUtilization = 100), 'hpa.memoryUtilization: for the backend: 100 % of the request can never be reached: usage stops at the limit (384Mi), 100 % of the request (384Mi); for the frontend: 100 %'],
  ['values that make no sense at scale', 'HPA min above max', (e) => (e.hpa = { ...e.hpa, minReplicas: 5, maxReplicas: 3 }), 'hpa.minReplicas (5) must not exceed hpa.maxReplicas (3)'],
  ['values that make no sense at scale', 'PDB on a single replica', (e) => { delete e.hpa; e.replicas = 1; }, 'pdb: a PodDisruptionBudget on 1 replica would block every node drain'],
  ['values that make no sense at scale', 'PDB that never allows an eviction', (e) => (e.pdb = { maxUnavailable: 3 }), 'pdb.maxUnavailable (3) must be below the fewest replicas (3)'],
  ['values that make no sense at scale', 'more connections than the database budget', (e) => (e.database.connectionBudget = 100), 'database.connectionBudget: the backend may open (10 + 1 surge) × pool 10 + 11 migration = 121 connections, more than database.connectionBudget 100: lower hpa.maxReplicas, backend.dbPoolMax or raise the budget'],
  ['values that make no sense at scale', 'a node port on a ClusterIP Service', (e) => (e.frontendService = { type: 'ClusterIP', nodePort: 30001 }), 'frontendService.nodePort: applies only when frontendService.type is NodePort'],
  ['values that make no sense at scale', 'replicas below 1', (e) => (e.replicas = 0), 'replicas: Too small'],
  ['shape', 'unknown field', (e) => (e.replica = 3), 'Unrecognized key: "replica"'],
  ['shape', 'NodePort without a port', (e) => (e.frontendService = { type: 'NodePort' }), 'frontendService.nodePort: is required when frontendService.type is NodePort'],
];

describe('validation: one line per problem, naming environment and field', () => {
  test.each(CASES)('%s: %s', (_category, _case, patch, expected) => {
    const message = rejection(patch);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`environment "production": ${expected}`);
  });

  test('the in-cluster database budget is max_connections minus the reserve', () => {
    const dev = structuredClone(ENVIRONMENTS.dev) as any;
    dev.database.maxConnections = 20;
    expect(() => resolveConfig('dev', dev, tag)).toThrow(
      'environment "dev": database.maxConnections: the backend may open (1 + 1 surge) × pool 10 + 2 migration = 22 connections, more than database.maxConnections 20 − database.reservedConnections 10 = 10',
    );
    dev.database = { kind: 'in-cluster', maxConnections: 30, reservedConnections: 30 };
    expect(() => resolveConfig('dev', dev, tag)).toThrow('environment "dev": database.reservedConnections: (30) must be below database.maxConnections (30)');
  });

  test('a problem is reported where it is, not again through its consequences', () => {
    // a memory limit in milli-bytes is one problem, not also a limit below the request and an unreachable HPA target
    expect(rejection((e) => (e.backend.resources.limits.memory = '384m')).split('\n')).toHaveLength(1);
  });

  test('several problems: a line each, each naming environment and field', () => {
    const lines = rejection((e) => {
      e.replicas = 0;
      e.hpa.minReplicas = 20;
    }).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('environment "production": '))).toBe(true);
  });

  test.each([
    ['image without tag or digest', { backendImage: 'registry.example.com/todo/todo-backend' }, 'environment "production": backend.image: "registry.example.com/todo/todo-backend" needs a tag or a @sha256 digest'],
    ['latest tag', { frontendImage: 'todo-frontend:latest' }, 'environment "production": frontend.image: "todo-frontend:latest" must not use the tag latest'],
    ['malformed image', { backendImage: 'Not An Image' }, 'environment "production": backend.image: "Not An Image" is not a valid image reference'],
    ['bad registry', { imageRegistry: 'https://registry' }, 'environment "production": images.registry: must be a registry host'],
    ['bad tag', { imageTag: 'a tag' }, 'environment "production": images.tag: must be a valid image tag'],
    ['bad host', { host: 'bad host' }, 'environment "production": gateway.hosts.0: "bad host" is not a valid host name'],
  ])('override: %s', (_title, overrides, message) => {
    expect(() => resolveEnvironments(['production'], { imageTag: 'v1', ...overrides })).toThrow(message);
  });

  test.each([
    ['--host', { host: 'todo.example.com' }],
    ['--backend-image', { backendImage: 'registry.example.com/todo/todo-backend:v2' }],
    ['--frontend-image', { frontendImage: 'registry.example.com/todo/todo-frontend:v2' }],
    ['--image-registry', { imageRegistry: 'ghcr.io/acme' }],
  ])('an override that means one deployment (%s) needs --env', (flag, overrides) => {
    expect(() => resolveEnvironments(undefined, { ...tag, ...overrides })).toThrow(`${flag} (TODO_`);
    expect(() => resolveEnvironments(undefined, { ...tag, ...overrides })).toThrow('add --env NAME');
    expect(() => resolveEnvironments(['production'], { ...tag, ...overrides })).not.toThrow();
  });

  test('the image tag applies to every environment without --env (one build, one tag)', () => {
    expect(resolveEnvironments(undefined, { imageTag: 'ci-1' }).map((e) => e.images.backend.split(':')[1])).toEqual(ENVIRONMENT_NAMES.map(() => 'ci-1'));
  });

  test('--host on an environment without a Gateway or an Ingress is refused, not ignored', () => {
    const noEntry = ENVIRONMENT_NAMES.find((n) => !('ingress' in ENVIRONMENTS[n]) && !('gateway' in ENVIRONMENTS[n]))!;
    expect(() => resolveEnvironments([noEntry], { ...tag, host: 'todo.example.com' })).toThrow(
      `environment "${noEntry}": gateway: --host needs a Gateway or an Ingress, and this environment has neither`,
    );
  });

  test('--host replaces the hosts of a Gateway and of an Ingress', () => {
    expect(resolveEnvironments(['production'], { ...tag, host: 'todo.acme.io' })[0].config.gateway!.hosts).toEqual(['todo.acme.io']);
    const input = structuredClone(base) as any;
    asIngress(input);
    expect(resolveConfig('production', input, { ...tag, host: 'todo.acme.io' }).config.ingress!.hosts).toEqual(['todo.acme.io']);
  });

  test('a database egress open to every address is accepted when the configuration says so', () => {
    const input = structuredClone(base) as any;
    input.database.egress = { cidrs: ['0.0.0.0/0', '::/0'], allowWorld: true };
    expect(resolveConfig('production', input, tag).config.database).toMatchObject({ egress: { cidrs: ['0.0.0.0/0', '::/0'], allowWorld: true } });
  });

  test('two environments in one namespace are refused', () => {
    expect(() => checkDistinctNamespaces({ a: { namespace: 'todo' }, b: { namespace: 'todo' } })).toThrow('environment "b": namespace: "todo" is already the namespace of environment "a"');
    expect(() => checkDistinctNamespaces(ENVIRONMENTS)).not.toThrow();
  });

  test('unknown environment', () => {
    expect(() => resolveEnvironment(UNKNOWN)).toThrow(`unknown environment "${UNKNOWN}" (known: ${ENVIRONMENT_NAMES.join(', ')})`);
  });

  test('every shipped environment is valid', () => {
    for (const n of ENVIRONMENT_NAMES) expect(resolveEnvironment(n, tag).name).toBe(n);
  });

  test('overrides come from TODO_* variables', () => {
    expect(overridesFromEnv({ TODO_IMAGE_TAG: 'abc', TODO_HOST: 'x.example.com', TODO_IMAGE_REGISTRY: '', OTHER: '1' })).toEqual({
      imageTag: 'abc',
      host: 'x.example.com',
    });
  });

  test('without a tag override, images use the git revision (12 characters)', () => {
    const env = resolveEnvironment(ENVIRONMENT_NAMES[0]);
    expect(env.images.backend).toMatch(/:[0-9a-f]{12}$/);
  });

  test('the resolved environment tells the ops tool how to reach the in-cluster database', () => {
    expect(resolveEnvironment('dev', tag).database).toEqual({
      kind: 'in-cluster',
      serviceName: 'todo-postgres',
      host: 'todo-postgres.todo-dev.svc.cluster.local',
      port: 5432,
      user: 'todo',
      database: 'todo',
    });
    expect(resolveEnvironment('production', tag).secretName).toBe('todo-secrets');
  });
});

describe('synthesizeAll', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-synth-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes dist/<env>/ in apply order and leaves nothing temporary', () => {
    synthesizeAll(dir, ['dev', 'production'], tag);
    expect(fs.readdirSync(dir).sort()).toEqual(['dev', 'production']);
    expect(fs.readdirSync(path.join(dir, 'dev'))).toEqual(['00-namespace', '10-config.k8s.yaml', '20-workloads.k8s.yaml']);
    expect(fs.readdirSync(path.join(dir, 'dev', '00-namespace'))).toEqual(['namespace.k8s.yaml']);
  });

  test('a bad environment stops synth before anything is written or replaced', () => {
    synthesizeAll(dir, ['dev'], tag);
    const before = fs.readFileSync(path.join(dir, 'dev', '20-workloads.k8s.yaml'), 'utf8');
    expect(() => synthesizeAll(dir, ['dev', 'production'], { ...tag, frontendImage: 'todo-frontend:latest' })).toThrow(ConfigError);
    expect(fs.readdirSync(dir)).toEqual(['dev']);
    expect(fs.readFileSync(path.join(dir, 'dev', '20-workloads.k8s.yaml'), 'utf8')).toBe(before);
    expect(() => synthesizeAll(dir, [UNKNOWN], tag)).toThrow(`unknown environment "${UNKNOWN}"`);
    expect(() => synthesizeAll(dir, undefined, { ...tag, host: 'todo.example.com' })).toThrow('add --env NAME');
    expect(fs.readdirSync(dir)).toEqual(['dev']);
  });
});
