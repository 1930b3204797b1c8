/** The smoke test: its Pod (PSA restricted, admitted by the NetworkPolicies), its checks, and its script. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { releaseSelector } from '../../charts/labels';
import { matchesSelector, readManifests } from '../src/manifests';
import { SMOKE_SCRIPT, smokeChecks, smokePod, smokePodLabels } from '../src/smoke';
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

  test('checks: both Services (probes, web app, OpenAPI), the frontend proxy without an Ingress, the Ingress with Host header where there is one', () => {
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
    const checks = smokeChecks(staging, { address: '203.0.113.7', hosts: ['todo.staging.example.com'], tls: true });
    expect(checks).toHaveLength(8);
    expect(checks.slice(6)).toEqual([
      { name: 'Ingress todo.staging.example.com web app', url: 'https://203.0.113.7/', host: 'todo.staging.example.com', expect: 'html', insecure: true },
      { name: 'Ingress todo.staging.example.com API', url: 'https://203.0.113.7/api/openapi.json', host: 'todo.staging.example.com', expect: 'openapi', insecure: true },
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

  test('an Ingress without an address (no controller): one clear message, no pod created', () => {
    const w = world();
    w.cluster.upsert({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'todo-backend', namespace: 'todo-staging' }, spec: { template: { spec: { containers: [{ name: 'backend', image: `todo-backend:${TEST_TAG}` }] } } } });
    w.cluster.upsert({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'todo', namespace: 'todo-staging' }, spec: { rules: [{ host: 'todo.staging.example.com' }] }, status: { loadBalancer: {} } });
    expect(runCli(w, ['smoke', '--env', 'staging'])).toBe(1);
    expect(w.log.text).toContain('Ingress todo-staging/todo has no address after 30s: no ingress controller (class nginx) has admitted it');
    expect(w.cluster.calls.find((c) => c.args[0] === 'wait')!.args).toEqual(['wait', 'ingress', 'todo', '-n', 'todo-staging', '--for=jsonpath={.status.loadBalancer.ingress}', '--timeout=30s']);
    expect(w.cluster.calls.some((c) => c.args[0] === 'create')).toBe(false);
  });

  test('an Ingress with an address: kubectl wait for it (bounded by --timeout), then the checks go through it with its hosts', () => {
    const w = world();
    w.cluster.upsert({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'todo-backend', namespace: 'todo-staging' }, spec: { template: { spec: { containers: [{ name: 'backend', image: `todo-backend:${TEST_TAG}` }] } } } });
    w.cluster.upsert({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'todo', namespace: 'todo-staging' },
      spec: { rules: [{ host: 'todo.staging.example.com' }], tls: [{ hosts: ['todo.staging.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
    });
    expect(runCli(w, ['smoke', '--env', 'staging', '--timeout', '10s'])).toBe(0);
    expect(w.cluster.calls.find((c) => c.args[0] === 'wait')!.args).toContain('--timeout=10s');
    const checks = JSON.parse(JSON.parse(w.cluster.calls.find((c) => c.args[0] === 'create')!.stdin!).spec.containers[0].env[0].value);
    expect(checks.filter((c: { host?: string }) => c.host).map((c: { url: string }) => c.url)).toEqual(['https://203.0.113.7/', 'https://203.0.113.7/api/openapi.json']);
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
