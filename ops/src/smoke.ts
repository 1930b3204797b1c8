/**
 * The smoke test (Helm's `helm test`): a short-lived Pod in the namespace, running the backend image
 * (it has node) with `node -e <script>`, that checks both tiers through their Services and, where the
 * environment has one, through the Ingress. It carries SMOKE_TEST_LABELS and the release instance
 * label, which the NetworkPolicy allow-smoke-test admits, but not the full release selector (it is
 * not part of the release: prune and uninstall never list Pods anyway). It satisfies Pod Security
 * `restricted`, is deleted afterwards, and its output is printed.
 */
import { BACKEND, FRONTEND, RUNTIME_USER } from '@todo/contract';
import { SERVICE_PORT, SMOKE_TEST_LABELS, type ResolvedEnvironment } from '../../charts/config';
import { releaseLabels } from '../../charts/labels';
import { containerSecurityContext } from '../../charts/constructs/security';
import type { Ctx } from './context';
import { OpsError } from './errors';
import { firstLine } from './exec';
import { describePod } from './diagnostics';
import { labelSelector, type K8sObject } from './manifests';
import { FIELD_MANAGER, INGRESS_ADDRESS_WAIT_SECONDS } from './settings';

export interface SmokeCheck {
  name: string;
  url: string;
  /** Host header (and TLS server name) when the URL names the Ingress' address. */
  host?: string;
  /** What a good answer looks like besides HTTP 200. */
  expect?: 'openapi' | 'html';
  /** Do not verify the TLS certificate (the Ingress check tests routing, not the certificate). */
  insecure?: boolean;
}

/** Runs inside the Pod: GET each check (3 attempts, 2 s apart), one PASS/FAIL line each, exit 1 if any failed. */
export const SMOKE_SCRIPT = `
const http = require('node:http'), https = require('node:https');
const checks = JSON.parse(process.env.SMOKE_CHECKS);
const retryDelay = Number(process.env.SMOKE_RETRY_DELAY_MS || 2000);
const get = (c) => new Promise((resolve) => {
  const u = new URL(c.url), started = Date.now();
  const opts = { method: 'GET', timeout: 5000, headers: c.host ? { host: c.host } : {}, rejectUnauthorized: !c.insecure };
  if (c.host && u.protocol === 'https:') opts.servername = c.host;
  const req = (u.protocol === 'https:' ? https : http).request(u, opts, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { if (body.length < 1048576) body += d; });
    res.on('end', () => resolve({ status: res.statusCode, body, ms: Date.now() - started }));
  });
  req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
  req.on('error', (e) => resolve({ error: e.message, ms: Date.now() - started }));
  req.end();
});
const verify = (c, r) => {
  if (r.error) return r.error;
  if (r.status !== 200) return 'HTTP ' + r.status;
  if (c.expect === 'openapi') { try { if (!JSON.parse(r.body).openapi) return 'JSON without an openapi field'; } catch { return 'not JSON'; } }
  if (c.expect === 'html' && !/<html/i.test(r.body)) return 'not an HTML page';
  return '';
};
(async () => {
  let failed = 0;
  for (const c of checks) {
    let r, why = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      r = await get(c);
      why = verify(c, r);
      if (!why) break;
      if (attempt < 3) await new Promise((s) => setTimeout(s, retryDelay));
    }
    console.log((why ? 'FAIL ' : 'PASS ') + c.name + ' ' + c.url + (c.host ? ' (Host: ' + c.host + ')' : '') + ' ' + (r.status ?? '-') + ' ' + r.ms + 'ms' + (why ? ': ' + why : ''));
    if (why) failed++;
  }
  console.log(failed ? 'smoke test: ' + failed + ' of ' + checks.length + ' checks failed' : 'smoke test: all ' + checks.length + ' checks passed');
  process.exit(failed ? 1 : 0);
})();
`.trim();

export interface IngressTarget {
  /** IP or hostname of the Ingress (status.loadBalancer.ingress[0]). */
  address: string;
  hosts: string[];
  tls: boolean;
}

export function smokeChecks(env: ResolvedEnvironment, ingress?: IngressTarget): SmokeCheck[] {
  const svc = (name: string) => `http://${name}.${env.namespace}.svc.cluster.local:${SERVICE_PORT}`;
  const backend = svc(env.names.backend);
  const frontend = svc(env.names.frontend);
  const checks: SmokeCheck[] = [
    { name: 'backend liveness', url: `${backend}${BACKEND.livenessPath}` },
    { name: 'backend readiness', url: `${backend}${BACKEND.readinessPath}` },
    { name: 'backend OpenAPI document', url: `${backend}${BACKEND.openApiPath}`, expect: 'openapi' },
    { name: 'frontend liveness', url: `${frontend}${FRONTEND.livenessPath}` },
    { name: 'frontend readiness', url: `${frontend}${FRONTEND.readinessPath}` },
    { name: 'frontend web app', url: `${frontend}/`, expect: 'html' },
  ];
  // Without an Ingress the frontend server proxies /api to the backend (API_UPSTREAM).
  if (!env.config.ingress) checks.push({ name: 'API through the frontend proxy', url: `${frontend}${BACKEND.openApiPath}`, expect: 'openapi' });
  if (ingress) {
    const scheme = ingress.tls ? 'https' : 'http';
    const addr = ingress.address.includes(':') ? `[${ingress.address}]` : ingress.address;
    for (const host of ingress.hosts) {
      checks.push(
        { name: `Ingress ${host} web app`, url: `${scheme}://${addr}/`, host, expect: 'html', insecure: ingress.tls || undefined },
        { name: `Ingress ${host} API`, url: `${scheme}://${addr}${BACKEND.openApiPath}`, host, expect: 'openapi', insecure: ingress.tls || undefined },
      );
    }
  }
  return checks;
}

export function smokePodLabels(env: ResolvedEnvironment): Record<string, string> {
  return {
    ...SMOKE_TEST_LABELS,
    'app.kubernetes.io/instance': releaseLabels(env.name)['app.kubernetes.io/instance'],
    'app.kubernetes.io/name': 'todo-smoke-test',
    'app.kubernetes.io/managed-by': FIELD_MANAGER,
  };
}

/** The Pod: PSA `restricted` (non-root uid 1001, no privilege escalation, drop ALL, RuntimeDefault seccomp), read-only root, bounded resources and lifetime. */
export function smokePod(env: ResolvedEnvironment, name: string, image: string, pullPolicy: string, checks: SmokeCheck[], deadlineSeconds: number): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: env.namespace, labels: smokePodLabels(env) },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadlineSeconds,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      // the backend image comes from the environment's registry, with its pull credentials
      ...(env.config.imagePullSecret ? { imagePullSecrets: [{ name: env.config.imagePullSecret }] } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: RUNTIME_USER.uid,
        runAsGroup: RUNTIME_USER.gid,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'smoke',
          image,
          imagePullPolicy: pullPolicy,
          command: ['node', '-e', SMOKE_SCRIPT],
          env: [{ name: 'SMOKE_CHECKS', value: JSON.stringify(checks) }],
          securityContext: containerSecurityContext(RUNTIME_USER.uid, RUNTIME_USER.gid),
          resources: {
            requests: { cpu: '50m', memory: '128Mi', 'ephemeral-storage': '16Mi' },
            limits: { cpu: '500m', memory: '128Mi', 'ephemeral-storage': '16Mi' },
          },
        },
      ],
    },
  };
}

/**
 * The Ingress' address, or undefined when it has none (no controller admitted it). A controller
 * publishes the address a moment after it admits a new Ingress: `kubectl wait` for it first,
 * at most INGRESS_ADDRESS_WAIT_SECONDS (or --timeout, if shorter).
 */
export function ingressTarget(ctx: Ctx): IngressTarget | undefined {
  const ing = ctx.env.config.ingress;
  if (!ing) return undefined;
  const ref = `${ctx.env.namespace}/${ctx.env.names.ingress}`;
  const wait = Math.min(INGRESS_ADDRESS_WAIT_SECONDS, ctx.args.timeoutSeconds);
  ctx.kubectl.run(['wait', 'ingress', ctx.env.names.ingress, '-n', ctx.env.namespace, '--for=jsonpath={.status.loadBalancer.ingress}', `--timeout=${wait}s`]);
  const r = ctx.kubectl.run(['get', 'ingress', ctx.env.names.ingress, '-n', ctx.env.namespace, '-o', 'json']);
  if (r.code !== 0) throw new OpsError(`cannot read Ingress ${ref}: ${firstLine(r.stderr)}`);
  const obj = JSON.parse(r.stdout);
  const lb = obj.status?.loadBalancer?.ingress?.[0];
  const address: string | undefined = lb?.ip ?? lb?.hostname;
  if (!address) return undefined;
  const hosts: string[] = (obj.spec?.rules ?? []).map((rule: { host?: string }) => rule.host).filter(Boolean);
  return { address, hosts, tls: (obj.spec?.tls ?? []).length > 0 };
}

/** The backend image that is running (the live Deployment's), falling back to the configured one. */
export function runningBackendImage(ctx: Ctx): string {
  const r = ctx.kubectl.run([
    'get',
    'deployment',
    ctx.env.names.backend,
    '-n',
    ctx.env.namespace,
    '-o',
    `jsonpath={.spec.template.spec.containers[?(@.name=="${BACKEND.component}")].image}`,
  ]);
  if (r.code !== 0) throw new OpsError(`cannot read deployment ${ctx.env.namespace}/${ctx.env.names.backend}: ${firstLine(r.stderr)} (is the release deployed?)`);
  return r.stdout.trim() || ctx.env.images.backend;
}

const FAIL_FAST = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/**
 * Creates the Pod, waits until it ends (or --timeout), prints its logs and deletes it.
 * Throws OpsError when a check failed or the Pod could not run.
 */
export function runSmoke(ctx: Ctx, opts: { image: string; skipIngress: boolean }): void {
  const ns = ctx.env.namespace;
  const env = ctx.env;
  let ingress: IngressTarget | undefined;
  if (env.config.ingress && !opts.skipIngress) {
    ingress = ingressTarget(ctx);
    if (!ingress) {
      throw new OpsError(
        `Ingress ${ns}/${env.names.ingress} has no address after ${Math.min(INGRESS_ADDRESS_WAIT_SECONDS, ctx.args.timeoutSeconds)}s: no ingress controller (class ${env.config.ingress.className}) has admitted it. Install one, or pass --skip-ingress (docs/troubleshooting.md)`,
      );
    }
  }
  const checks = smokeChecks(env, ingress);
  const name = `todo-smoke-${ctx.randomBytes(4).toString('hex')}`;
  const selector = labelSelector({ ...SMOKE_TEST_LABELS, 'app.kubernetes.io/instance': releaseLabels(env.name)['app.kubernetes.io/instance'] });
  // Leftovers of an interrupted run.
  ctx.kubectl.run(['delete', 'pods', '-n', ns, '-l', selector, '--ignore-not-found', '--wait=false']);

  ctx.log.step(`smoke test: pod ${ns}/${name} (${checks.length} checks, image ${opts.image})`);
  const pod = smokePod(env, name, opts.image, env.config.imagePullPolicy, checks, ctx.args.timeoutSeconds);
  const created = ctx.kubectl.run(['create', '-f', '-'], { stdin: JSON.stringify(pod) });
  if (created.code !== 0) throw new OpsError(`cannot create the smoke-test pod: ${created.stderr.trim()}`);

  let phase = '';
  let why = '';
  try {
    const deadline = ctx.now().getTime() + ctx.args.timeoutSeconds * 1000;
    for (;;) {
      const r = ctx.kubectl.run(['get', 'pod', name, '-n', ns, '-o', 'json']);
      if (r.code === 0) {
        const p = JSON.parse(r.stdout);
        phase = p.status?.phase ?? '';
        if (phase === 'Succeeded' || phase === 'Failed') break;
        const waiting = (p.status?.containerStatuses ?? []).map((s: any) => s.state?.waiting).find((w: any) => w && FAIL_FAST.has(w.reason));
        if (waiting) {
          why = `the smoke-test pod cannot start:\n${describePod(p).join('\n')}`;
          break;
        }
      }
      if (ctx.now().getTime() >= deadline) {
        why = `the smoke-test pod did not finish within ${ctx.args.timeoutSeconds}s (phase ${phase || 'unknown'})`;
        break;
      }
      ctx.sleep(2000);
    }
    const logs = ctx.kubectl.run(['logs', name, '-n', ns]);
    const text = (logs.stdout || logs.stderr).trim();
    if (text) ctx.log.info(text);
  } finally {
    ctx.kubectl.run(['delete', 'pod', name, '-n', ns, '--ignore-not-found', '--wait=false']);
  }
  if (why) throw new OpsError(why);
  if (phase !== 'Succeeded') throw new OpsError(`smoke test failed (pod ${name} ${phase}); the checks are printed above`);
  ctx.log.info('smoke test passed');
}
