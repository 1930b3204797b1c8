/** The smoke test: its Pod (PSA restricted, admitted by the NetworkPolicies), its checks, and its script. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { releaseSelector } from '../../charts/labels';
import { matchesSelector, readManifests } from '../src/manifests';
import { entryTarget, SMOKE_SCRIPT, smokeChecks, smokePod, smokePodLabels } from '../src/smoke';
import { ctxFor, fixtureDir, mutations, runCli, TEST_TAG, world } from './fakes';
import { ENVIRONMENT_NAMES } from '../../charts/config';

describe('smoke pod', () => {
  const ctx = ctxFor(world(), ['smoke', '--env', 'dev']);
  const pod = smokePod(ctx.env, 'todo-smoke-1', 'todo-backend:x', 'IfNotPresent', smokeChecks(ctx.env), 120);

  test('satisfies Pod Security restricted and is bounded', () => {
    const spec = pod.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } });
    const c = spec.containers[0];
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.activeDeadlineSeconds).toBe(120);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.volumes).toBeUndefined();
    expect(c.command.slice(0, 2)).toEqual(['node', '-e']);
  });

  test.each(ENVIRONMENT_NAMES)('%s: pulls with the pull Secret the workloads use', (envName) => {
    const env = ctxFor(world(), ['smoke', '--env', envName]).env;
    const p = smokePod(env, 'todo-smoke-1', 'todo-backend:x', 'IfNotPresent', smokeChecks(env), 120);
    const backend = readManifests(fixtureDir(envName)).objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'backend')!;
    expect(p.spec.imagePullSecrets).toEqual(backend.spec.template.spec.imagePullSecrets);
  });

  test.each(ENVIRONMENT_NAMES)('%s: the NetworkPolicies select it and let it reach both tiers; it is not part of the release selector', (envName) => {
    const objects = readManifests(fixtureDir(envName)).objects;
    const labels = smokePodLabels(ctxFor(world(), ['smoke', '--env', envName]).env);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-smoke-test')!;
    expect(matchesSelector(Object.entries(policy.spec.podSelector.matchLabels).map(([k, v]) => `${k}=${v}`).join(','), labels)).toBe(true);
    for (const name of ['allow-backend', 'allow-frontend']) {
      const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name)!;
      const admits = (from: any[] | undefined) => from === undefined || from.some((p: any) => p.podSelector?.matchLabels && matchesSelector(Object.entries<string>(p.podSelector.matchLabels).map(([k, v]) => `${k}=${v}`).join(','), labels));
      expect(np.spec.ingress.some((rule: any) => admits(rule.from))).toBe(true); // a rule without `from` admits every source
    }
    expect(matchesSelector(releaseSelector(envName), labels)).toBe(false);
  });

  test('checks: both Services (probes, web app, OpenAPI), the frontend proxy without an entry point, the Gateway or Ingress with Host header where there is one', () => {
    expect(smokeChecks(ctx.env).map((c) => c.url)).toEqual([
      'http://todo-backend.todo-dev.svc.cluster.local:80/healthz',
      'http://todo-backend.todo-dev.svc.cluster.local:80/readyz',
      'http://todo-backend.todo-dev.svc.cluster.local:80/api/openapi.json',
      'http://todo-frontend.todo-dev.svc.cluster.local:80/healthz',
      'http://todo-frontend.todo-dev.svc.cluster.local:80/readyz',
      'http://todo-frontend.todo-dev.svc.cluster.local:80/',
      'http://todo-frontend.todo-dev.svc.cluster.local:80/api/openapi.json',
    ]);
    const staging = ctxFor(world(), ['smoke', '--env', 'staging']).env;
    const checks = smokeChecks(staging, { kind: 'Gateway', address: '203.0.113.7', hosts: ['todo.staging.example.com'], tls: true });
    expect(checks).toHaveLength(8);
    expect(checks.slice(6)).toEqual([
      { name: 'Gateway todo.staging.example.com web app', url: 'https://203.0.113.7/', host: 'todo.staging.example.com', expect: 'html', insecure: true },
      { name: 'Gateway todo.staging.example.com API', url: 'https://203.0.113.7/api/openapi.json', host: 'todo.staging.example.com', expect: 'openapi', insecure: true },
    ]);
    expect(smokeChecks(staging, { kind: 'Ingress', address: '2001:db8::7', hosts: [], tls: false }).slice(6).map((c) => [c.name, c.url, c.host])).toEqual([
      ['Ingress web app', 'http://[2001:db8::7]/', undefined],
      ['Ingress API', 'http://[2001:db8::7]/api/openapi.json', undefined],
    ]);
  });
});

describe('smoke command', () => {
  test('creates the pod with the running backend image, prints its logs, deletes it', () => {
    const w = world();
    w.cluster.upsert({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'todo-backend', namespace: 'todo-dev' }, spec: { template: { spec: { containers: [{ name: 'backend', image: 'todo-backend:live123' }] } } } });
    expect(runCli(w, ['smoke', '--env', 'dev'])).toBe(0);
    const created = w.cluster.calls.find((c) => c.args[0] === 'create')!;
    const pod = JSON.parse(created.stdin!);
    expect(pod.spec.containers[0].image).toBe('todo-backend:live123');
    expect(w.log.text).toContain('smoke test: all 7 checks passed');
    const m = mutations(w.cluster.calls);
    expect(m.at(-1)!.args).toEqual(['delete', 'pod', pod.metadata.name, '-n', 'todo-dev', '--ignore-not-found', '--wait=false']);
    expect(w.cluster.objects.some((o) => o.kind === 'Pod')).toBe(false);
  });

  const deployment = (w: ReturnType<typeof world>, ns: string) =>
    w.cluster.upsert({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'todo-backend', namespace: ns }, spec: { template: { spec: { containers: [{ name: 'backend', image: `todo-backend:${TEST_TAG}` }] } } } });
  /** The staging environment's HTTPRoute (from its synth), with the route status and Gateway address given. */
  const gatewayWorld = (conditions: { type: string; status: string; reason?: string; message?: string }[], address?: string, certificate: { status: string; reason?: string; message?: string } = { status: 'True' }) => {
    const w = world();
    deployment(w, 'todo-staging');
    const objects = readManifests(fixtureDir('staging')).objects;
    const route = objects.find((o) => o.kind === 'HTTPRoute')!;
    const cert = objects.find((o) => o.kind === 'Certificate')!;
    w.cluster.upsert({ ...cert, status: { conditions: [{ type: 'Ready', ...certificate }] } });
    const ref = route.spec.parentRefs[0];
    w.cluster.upsert({ ...route, status: { parents: [{ parentRef: ref, controllerName: 'example.com/gateway', conditions }] } });
    w.cluster.upsert({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: ref.name, namespace: ref.namespace }, status: address ? { addresses: [{ type: 'IPAddress', value: address }] } : {} });
    return w;
  };
  const accepted = [{ type: 'Accepted', status: 'True' }, { type: 'ResolvedRefs', status: 'True' }];

  test('an HTTPRoute accepted by its listener: the checks go through the Gateway\'s address with the route\'s hosts, over HTTPS', () => {
    const w = gatewayWorld(accepted, '203.0.113.9');
    expect(runCli(w, ['smoke', '--env', 'staging'])).toBe(0);
    const checks = JSON.parse(JSON.parse(w.cluster.calls.find((c) => c.args[0] === 'create')!.stdin!).spec.containers[0].env[0].value);
    expect(checks.filter((c: { host?: string }) => c.host).map((c: { url: string; host: string }) => [c.url, c.host])).toEqual([
      ['https://203.0.113.9/', 'todo.staging.example.com'],
      ['https://203.0.113.9/api/openapi.json', 'todo.staging.example.com'],
    ]);
    expect(w.cluster.calls.some((c) => c.args.slice(0, 4).join(' ') === 'get gateway public -n')).toBe(true);
  });

  test('an HTTPRoute its listener refuses: the condition, its reason and message in one error; no pod created', () => {
    const w = gatewayWorld([{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'no listener allows this namespace' }], '203.0.113.9');
    expect(runCli(w, ['smoke', '--env', 'staging', '--timeout', '10s'])).toBe(1);
    expect(w.log.text).toContain(
      'HTTPRoute todo-staging/todo: Accepted=False on listener https-todo-staging of Gateway gateway-system/public: NotAllowedByListeners no listener allows this namespace after 10s',
    );
    expect(w.cluster.calls.some((c) => c.args[0] === 'create')).toBe(false);
  });

  test('a listener waiting for its certificate: the Certificate\'s state in the error, waited for up to --timeout', () => {
    const w = gatewayWorld([{ type: 'Accepted', status: 'False', reason: 'NoMatchingParent', message: 'no listener matched' }], '203.0.113.9', {
      status: 'False',
      reason: 'DoesNotExist',
      message: 'Issuing certificate as Secret does not exist',
    });
    expect(runCli(w, ['smoke', '--env', 'staging', '--timeout', '90s'])).toBe(1);
    expect(w.log.text).toContain(
      'Certificate todo-staging/todo-staging-tls not issued yet (DoesNotExist: Issuing certificate as Secret does not exist); the listener serves once cert-manager has written the Secret todo-staging-tls',
    );
    expect(w.log.text).toContain('after 90s'); // not the 60 s an address alone is waited for
    // issued meanwhile: the same route, accepted, goes through
    const issued = gatewayWorld(accepted, '203.0.113.9', { status: 'True' });
    expect(runCli(issued, ['smoke', '--env', 'staging', '--timeout', '90s'])).toBe(0);
  });

  test('a Gateway without an address: said so, with --skip-entry as the way past it', () => {
    const w = gatewayWorld(accepted);
    expect(runCli(w, ['smoke', '--env', 'staging', '--timeout', '5s'])).toBe(1);
    expect(w.log.text).toContain('Gateway gateway-system/public has no address (status.addresses) after 5s');
    expect(w.log.text).toContain('--skip-entry');
    const skipped = gatewayWorld(accepted);
    expect(runCli(skipped, ['smoke', '--env', 'staging', '--skip-entry'])).toBe(0);
  });

  test('an Ingress without an address (no controller): one clear message, no pod created', () => {
    const w = world();
    deployment(w, 'todo-staging');
    const env = ctxFor(w, ['smoke', '--env', 'staging']).env;
    const ingressEnv = { ...env, config: { ...env.config, gateway: undefined, ingress: { className: 'traefik', hosts: ['todo.staging.example.com'], annotations: {}, controller: { namespace: 'traefik', podLabels: {} } } } };
    w.cluster.upsert({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'todo', namespace: 'todo-staging' }, spec: { rules: [{ host: 'todo.staging.example.com' }] }, status: { loadBalancer: {} } });
    const found = entryTarget({ ...ctxFor(w, ['smoke', '--env', 'staging']), env: ingressEnv });
    expect(found).toEqual({ problem: 'Ingress todo-staging/todo has no address after 60s: no ingress controller (class traefik) has admitted it' });
    expect(w.cluster.calls.find((c) => c.args[0] === 'wait')!.args).toEqual(['wait', 'ingress', 'todo', '-n', 'todo-staging', '--for=jsonpath={.status.loadBalancer.ingress}', '--timeout=60s']);
    w.cluster.upsert({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'todo', namespace: 'todo-staging' },
      spec: { rules: [{ host: 'todo.staging.example.com' }], tls: [{ hosts: ['todo.staging.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
    });
    expect(entryTarget({ ...ctxFor(w, ['smoke', '--env', 'staging', '--timeout', '10s']), env: ingressEnv })).toEqual({
      target: { kind: 'Ingress', address: '203.0.113.7', hosts: ['todo.staging.example.com'], tls: true },
    });
    expect(w.cluster.calls.filter((c) => c.args[0] === 'wait').at(-1)!.args).toContain('--timeout=10s');
  });
});

describe('the script the pod runs', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const host = req.headers.host ?? '';
      if (req.url === '/api/openapi.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ openapi: '3.1.0' }));
      if (req.url === '/' && host.startsWith('todo.example.com')) return void res.writeHead(200).end('<!doctype html><html></html>');
      if (req.url === '/healthz') return void res.writeHead(200).end('{"status":"ok"}');
      res.writeHead(503).end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const runScript = (checks: object[]) =>
    new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['-e', SMOKE_SCRIPT], { env: { SMOKE_CHECKS: JSON.stringify(checks), SMOKE_RETRY_DELAY_MS: '20' }, timeout: 15000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });

  test('passes good answers (Host header sent) and fails a bad one after its retries, exit 1', async () => {
    const r = await runScript([
      { name: 'live', url: `${base}/healthz` },
      { name: 'openapi', url: `${base}/api/openapi.json`, expect: 'openapi' },
      { name: 'ingress', url: `${base}/`, host: 'todo.example.com', expect: 'html' },
    ]);
    expect(r.stdout).toContain('PASS live');
    expect(r.stdout).toContain('PASS ingress');
    expect(r.stdout).toContain('smoke test: all 3 checks passed');
    expect(r.code).toBe(0);
    const bad = await runScript([{ name: 'html expected', url: `${base}/healthz`, expect: 'html' }]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAIL html expected');
    expect(bad.stdout).toContain('not an HTML page');
  }, 20000);
});
