/**
 * The smoke test (Helm's `helm test`): a short-lived Pod in the namespace, running the backend image
 * (it has node) with `node -e <script>`, that checks both tiers through their Services and, where the
 * environment has one, through its entry point: the HTTPRoute's Gateway or the Ingress, at the address
 * the controller publishes, with the host in the Host header (and TLS server name). It carries
 * SMOKE_TEST_LABELS and the release instance label, which the NetworkPolicy allow-smoke-test admits,
 * but not the full release selector (it is not part of the release: prune and uninstall never list
 * Pods anyway). It satisfies Pod Security `restricted`, is deleted afterwards, and its output is printed.
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
import { ENTRY_ADDRESS_WAIT_SECONDS, FIELD_MANAGER } from './settings';

export interface SmokeCheck {
  name: string;
  url: string;
  /** Host header (and TLS server name) when the URL names the entry point's address. */
  host?: string;
  /** What a good answer looks like besides HTTP 200. */
  expect?: 'openapi' | 'html';
  /** Do not verify the TLS certificate (the entry point's check tests routing, not the certificate). */
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

/** Where the smoke test reaches the entry point (a Gateway's or an Ingress' published address). */
export interface EntryTarget {
  /** `Gateway` (an HTTPRoute on it) or `Ingress`: the checks' names start with it. */
  kind: 'Gateway' | 'Ingress';
  /** IP or hostname (the Gateway's status.addresses[0], the Ingress' status.loadBalancer.ingress[0]). */
  address: string;
  hosts: string[];
  tls: boolean;
}

export function smokeChecks(env: ResolvedEnvironment, entry?: EntryTarget): SmokeCheck[] {
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
  // Without a Gateway or an Ingress the frontend server proxies /api to the backend (API_UPSTREAM).
  if (!env.config.gateway && !env.config.ingress) checks.push({ name: 'API through the frontend proxy', url: `${frontend}${BACKEND.openApiPath}`, expect: 'openapi' });
  if (entry) {
    const scheme = entry.tls ? 'https' : 'http';
    const addr = entry.address.includes(':') ? `[${entry.address}]` : entry.address;
    const insecure = entry.tls || undefined;
    for (const host of entry.hosts.length ? entry.hosts : [undefined]) {
      const label = `${entry.kind}${host ? ` ${host}` : ''}`;
      checks.push(
        { name: `${label} web app`, url: `${scheme}://${addr}/`, host, expect: 'html', insecure },
        { name: `${label} API`, url: `${scheme}://${addr}${BACKEND.openApiPath}`, host, expect: 'openapi', insecure },
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
 * The entry point's address, or why it has none. An Ingress gets its address from the controller a
 * moment after it admits it (`kubectl wait` for it); an HTTPRoute must be accepted by its Gateway's
 * listener, with its Services resolved, and the Gateway must publish an address. Both are waited for
 * at most ENTRY_ADDRESS_WAIT_SECONDS (or --timeout, if shorter); while the environment's own
 * Certificate is not issued yet (an HTTPS listener serves once its Secret exists), up to --timeout,
 * and the Certificate's state is part of the answer.
 */
export function entryTarget(ctx: Ctx): { target?: EntryTarget; problem?: string } {
  const env = ctx.env;
  const wait = Math.min(ENTRY_ADDRESS_WAIT_SECONDS, ctx.args.timeoutSeconds);
  const ns = env.namespace;
  const name = env.names.entry;
  const read = (kind: string, n: string, namespace: string) => {
    const r = ctx.kubectl.run(['get', kind, n, '-n', namespace, '-o', 'json']);
    if (r.code !== 0) throw new OpsError(`cannot read ${kind} ${namespace}/${n}: ${firstLine(r.stderr)}`);
    return JSON.parse(r.stdout);
  };
  const ing = env.config.ingress;
  if (ing) {
    ctx.kubectl.run(['wait', 'ingress', name, '-n', ns, '--for=jsonpath={.status.loadBalancer.ingress}', `--timeout=${wait}s`]);
    const obj = read('ingress', name, ns);
    const lb = obj.status?.loadBalancer?.ingress?.[0];
    const address: string | undefined = lb?.ip ?? lb?.hostname;
    if (!address) return { problem: `Ingress ${ns}/${name} has no address after ${wait}s: no ingress controller (class ${ing.className}) has admitted it` };
    const hosts: string[] = (obj.spec?.rules ?? []).map((rule: { host?: string }) => rule.host).filter(Boolean);
    return { target: { kind: 'Ingress', address, hosts, tls: (obj.spec?.tls ?? []).length > 0 } };
  }
  const gw = env.config.gateway;
  if (!gw) return {};
  const parent = gw.shared ? { name: gw.shared.name, namespace: gw.shared.namespace } : { name: gw.own!.name, namespace: ns };
  const started = ctx.now().getTime();
  // the Certificate cert-manager issues into the listener's Secret, where the environment asks for one
  const certName = gw.tls?.issuer ? gw.tls.secretName : undefined;
  const certPending = (): string | undefined => {
    if (!certName) return undefined;
    const r = ctx.kubectl.run(['get', 'certificates.cert-manager.io', certName, '-n', ns, '-o', 'json']);
    if (r.code !== 0) return `Certificate ${ns}/${certName}: ${firstLine(r.stderr)}`;
    const ready = (JSON.parse(r.stdout).status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
    if (ready?.status === 'True') return undefined;
    const why = ready ? `${ready.reason ?? ''}${ready.message ? `: ${ready.message}` : ''}` : 'no status yet';
    return `Certificate ${ns}/${certName} not issued yet (${why}); the listener serves once cert-manager has written the Secret ${certName} (kubectl describe certificate,challenge -n ${ns})`;
  };
  let problem = '';
  let waited = wait;
  for (;;) {
    const route = read('httproute', name, ns);
    const statuses: { parentRef?: { name?: string; sectionName?: string }; conditions?: { type: string; status: string; reason?: string; message?: string }[] }[] = route.status?.parents ?? [];
    const refs: { sectionName?: string }[] = route.spec?.parentRefs ?? [];
    const notReady = refs
      .map((ref) => {
        const st = statuses.find((p) => p.parentRef?.name === parent.name && p.parentRef?.sectionName === ref.sectionName);
        const bad = ['Accepted', 'ResolvedRefs'].map((t) => st?.conditions?.find((c) => c.type === t)).find((c) => c?.status !== 'True');
        const where = `listener ${ref.sectionName ?? '(any)'} of Gateway ${parent.namespace}/${parent.name}`;
        return !st ? `not yet seen by ${where}` : bad ? `${bad.type}=${bad.status} on ${where}: ${bad.reason ?? ''} ${bad.message ?? ''}`.trim() : '';
      })
      .filter(Boolean);
    let cert: string | undefined;
    if (notReady.length) {
      cert = certPending();
      problem = `HTTPRoute ${ns}/${name}: ${notReady.join('; ')}${cert ? `; ${cert}` : ''}`;
    } else {
      const address: string | undefined = read('gateway', parent.name, parent.namespace).status?.addresses?.[0]?.value;
      if (address) return { target: { kind: 'Gateway', address, hosts: [...gw.hosts], tls: gw.shared ? gw.shared.protocol === 'HTTPS' : gw.tls !== undefined } };
      problem = `Gateway ${parent.namespace}/${parent.name} has no address (status.addresses)`;
    }
    waited = cert ? Math.max(wait, ctx.args.timeoutSeconds) : wait;
    if (ctx.now().getTime() >= started + waited * 1000) return { problem: `${problem} after ${waited}s` };
    ctx.sleep(2000);
  }
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
export function runSmoke(ctx: Ctx, opts: { image: string; skipEntry: boolean }): void {
  const ns = ctx.env.namespace;
  const env = ctx.env;
  let entry: EntryTarget | undefined;
  if (!opts.skipEntry) {
    const found = entryTarget(ctx);
    if (found.problem) throw new OpsError(`${found.problem}. Check the Gateway API implementation or ingress controller, or pass --skip-entry (docs/troubleshooting.md)`);
    entry = found.target;
  }
  const checks = smokeChecks(env, entry);
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
