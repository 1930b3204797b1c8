/**
 * Test doubles: a fake cluster behind the Kubectl interface (it keeps objects, so apply, list, prune
 * and delete act on state, and it records every invocation with its argv and stdin), fake programs,
 * and a synthesizer that serves manifests really synthesized once by scripts/synth.mjs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { resolveEnvironment } from '../../charts/config';
import { parseArgs } from '../src/args';
import type { Ctx, Deps } from '../src/context';
import type { Kubectl, Programs, RunOptions, RunResult } from '../src/exec';
import { MemoryLog } from '../src/log';
import { matchesSelector, readManifests, type K8sObject, type Manifests } from '../src/manifests';
import { MANAGED_KINDS } from '../src/resources';
import type { Synthesizer } from '../src/synth';

export const ROOT = path.join(__dirname, '..', '..');
export const TEST_TAG = 'test0123abcd';

export interface Call {
  program: string;
  args: string[];
  stdin?: string;
}

const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
const fail = (stderr: string, code = 1): RunResult => ({ code, stdout: '', stderr });

/** resource argument of kubectl -> kind */
const RESOURCE_KINDS: Record<string, string> = {
  ...Object.fromEntries(MANAGED_KINDS.map((k) => [k.resource, k.kind])),
  pods: 'Pod',
  pod: 'Pod',
  secret: 'Secret',
  secrets: 'Secret',
  configmap: 'ConfigMap',
  configmaps: 'ConfigMap',
  deployment: 'Deployment',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  namespace: 'Namespace',
  namespaces: 'Namespace',
  ingress: 'Ingress',
  httproute: 'HTTPRoute',
  gateway: 'Gateway',
};

function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${flag}=`));
  return eq?.slice(flag.length + 1);
}

export class FakeCluster implements Kubectl {
  objects: K8sObject[] = [];
  context = 'minikube';
  contexts = ['minikube', 'prod-eu-1'];
  serverVersion = { major: '1', minor: '33', gitVersion: 'v1.33.1' };
  reachable = true;
  /** rollout status exit code per "kind/name" */
  rollout: Record<string, number> = {};
  smokePhase: 'Succeeded' | 'Failed' = 'Succeeded';
  smokeLogs = 'PASS backend liveness\nsmoke test: all 7 checks passed';
  events: any[] = [];
  logs: Record<string, string> = {};
  /** Pods returned by `get pods -l` (diagnostics). */
  pods: any[] = [];
  /** Whether the cluster serves the managed kinds' CRDs (Gateway API, cert-manager, Prometheus Operator). */
  servesCrds = true;
  /** Overrides: the first whose predicate matches answers. */
  overrides: { when: (args: string[]) => boolean; result: RunResult }[] = [];

  constructor(readonly journal: Call[] = []) {}

  get calls(): Call[] {
    return this.journal.filter((c) => c.program === 'kubectl');
  }

  find(kind: string, name: string, namespace?: string): K8sObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  }

  upsert(o: K8sObject): void {
    const i = this.objects.findIndex((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && x.metadata.namespace === o.metadata.namespace);
    const copy = structuredClone(o);
    if (i >= 0) this.objects[i] = copy;
    else this.objects.push(copy);
  }

  run(args: readonly string[], opts: RunOptions = {}): RunResult {
    const a = [...args];
    this.journal.push({ program: 'kubectl', args: a, ...(opts.stdin !== undefined && { stdin: opts.stdin }) });
    for (const o of this.overrides) if (o.when(a)) return o.result;
    return this.handle(a, opts);
  }

  private handle(a: string[], opts: RunOptions): RunResult {
    const ns = flagValue(a, '-n');
    const selector = flagValue(a, '-l');
    const [verb] = a;
    if (verb === 'config' && a[1] === 'current-context') return ok(`${this.context}\n`);
    if (verb === 'config' && a[1] === 'get-contexts') return this.contexts.includes(a[2]) ? ok(`${a[2]}\n`) : fail(`error: context ${a[2]} not found`);
    if (verb === 'version') {
      const client = { major: '1', minor: '32', gitVersion: 'v1.32.4' };
      if (!this.reachable) return { code: 1, stdout: JSON.stringify({ clientVersion: client }), stderr: 'The connection to the server 127.0.0.1:6443 was refused' };
      return ok(JSON.stringify({ clientVersion: client, serverVersion: this.serverVersion }));
    }
    if (verb === 'api-resources') {
      return ok(MANAGED_KINDS.filter((k) => this.servesCrds || !k.crd).map((k) => `${k.resource}\n`).join(''));
    }
    if (verb === 'apply') {
      const file = flagValue(a, '-f')!;
      const objs: K8sObject[] = file === '-' ? [JSON.parse(opts.stdin ?? '')] : readManifests(file).objects;
      if (!a.includes('--dry-run=server')) for (const o of objs) this.upsert(o);
      return ok(objs.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name} serverside-applied`).join('\n'));
    }
    if (verb === 'create' && flagValue(a, '-f') === '-') {
      const pod = JSON.parse(opts.stdin ?? '');
      this.upsert({ ...pod, status: { phase: this.smokePhase } });
      return ok(`pod/${pod.metadata.name} created`);
    }
    if (verb === 'get') {
      const resources = a[1].split(',');
      const name = a[2] && !a[2].startsWith('-') ? a[2] : undefined;
      const output = flagValue(a, '-o') ?? '';
      const kinds = resources.map((r) => RESOURCE_KINDS[r] ?? r);
      if (resources[0] === 'events') return ok(JSON.stringify({ items: this.events }));
      if (kinds[0] === 'Pod' && !name && this.pods.length) return ok(JSON.stringify({ items: this.pods }));
      const fieldName = flagValue(a, '--field-selector')?.replace('metadata.name=', '');
      const found = this.objects.filter(
        (o) =>
          kinds.includes(o.kind) &&
          (ns === undefined || o.kind === 'Namespace' || o.metadata.namespace === ns) &&
          (name === undefined || o.metadata.name === name) &&
          (fieldName === undefined || o.metadata.name === fieldName) &&
          (selector === undefined || matchesSelector(selector, o.metadata.labels)),
      );
      if (name !== undefined && found.length === 0) return a.includes('--ignore-not-found') ? ok('') : fail(`Error from server (NotFound): ${resources[0]} "${name}" not found`);
      if (output === 'name') return ok(found.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}\n`).join(''));
      if (output.startsWith('go-template=')) {
        const s = found[0];
        return ok(`${s.metadata.name}\n${Object.entries<string>(s.data ?? {}).map(([k, v]) => `${k} ${v.length}\n`).join('')}`);
      }
      if (output.startsWith('jsonpath=')) return ok(found[0]?.spec?.template?.spec?.containers?.[0]?.image ?? '');
      if (output === 'json') return ok(JSON.stringify(name !== undefined ? found[0] : { kind: 'List', items: found }));
      return ok(found.map((o) => `${o.kind}/${o.metadata.name}`).join('\n'));
    }
    if (verb === 'delete') {
      const kinds = a[1].split(',').map((r) => RESOURCE_KINDS[r] ?? r);
      const name = a[2] && !a[2].startsWith('-') ? a[2] : undefined;
      const fieldName = flagValue(a, '--field-selector')?.replace('metadata.name=', '');
      const hit = (o: K8sObject) =>
        kinds.includes(o.kind) &&
        (ns === undefined || o.kind === 'Namespace' || o.metadata.namespace === ns) &&
        (name === undefined || o.metadata.name === name) &&
        (fieldName === undefined || o.metadata.name === fieldName) &&
        (selector === undefined || matchesSelector(selector, o.metadata.labels));
      const gone = this.objects.filter(hit);
      this.objects = this.objects.filter((o) => !hit(o));
      if (kinds.includes('Namespace')) this.objects = this.objects.filter((o) => !gone.some((n) => n.kind === 'Namespace' && n.metadata.name === o.metadata.namespace));
      return ok(gone.map((o) => `${o.kind.toLowerCase()} "${o.metadata.name}" deleted`).join('\n'));
    }
    if (verb === 'wait') {
      // the one form the tool uses: --for=jsonpath={.status.loadBalancer.ingress} (present and not empty)
      const o = this.find(RESOURCE_KINDS[a[1]] ?? a[1], a[2], ns);
      if (!o) return fail(`Error from server (NotFound): ${a[1]} "${a[2]}" not found`);
      if (a.includes('--for=jsonpath={.status.loadBalancer.ingress}') && (o.status?.loadBalancer?.ingress ?? []).length > 0) return ok(`${a[1]}/${a[2]} condition met`);
      return fail(`error: timed out waiting for the condition on ${a[1]}/${a[2]}`);
    }
    if (verb === 'rollout' && a[1] === 'status') {
      const code = this.rollout[a[2]] ?? 0;
      return code === 0 ? ok(`${a[2]} successfully rolled out`) : fail(`error: timed out waiting for the condition`, code);
    }
    if (verb === 'rollout' && a[1] === 'restart') return ok(`${a[2]} restarted`);
    if (verb === 'logs') return ok(a[1].startsWith('todo-smoke-') ? this.smokeLogs : (this.logs[a[1]] ?? ''));
    if (verb === 'diff') return { code: 1, stdout: '', stderr: '' };
    if (verb === 'exec') return ok('ALTER ROLE');
    return fail(`fake kubectl: unhandled ${a.join(' ')}`);
  }
}

export class FakePrograms implements Programs {
  installed = new Set(['kubectl', 'git', 'minikube']);
  responses: Record<string, RunResult> = {
    'git rev-parse --short=12 HEAD': ok('abcdef012345\n'),
    'git status --porcelain --untracked-files=no': ok(''),
  };
  constructor(readonly journal: Call[] = []) {}
  has(program: string): boolean {
    return this.installed.has(program);
  }
  run(program: string, args: readonly string[], opts: RunOptions = {}): RunResult {
    this.journal.push({ program, args: [...args], ...(opts.stdin !== undefined && { stdin: opts.stdin }) });
    return this.responses[[program, ...args].join(' ')] ?? ok('');
  }
}

let fixtureRoot: string | undefined;
/** dist/<env> of every environment, synthesized once per test file with a fixed image tag. */
export function fixtureDir(env: string): string {
  if (!fixtureRoot) {
    fixtureRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-ops-fixture-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'synth.mjs'), '--outdir', fixtureRoot], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TODO_IMAGE_TAG: TEST_TAG, TODO_SYNTH_QUIET: '1' },
    });
    if (r.status !== 0) throw new Error(`fixture synth failed: ${r.stderr}`);
    const dir = fixtureRoot;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return path.join(fixtureRoot, env);
}

const parsedFixtures = new Map<string, Manifests>();

export class FakeSynthesizer implements Synthesizer {
  private dirs: string[] = [];
  /** Changes the synthesized objects (e.g. drop one, to test prune). */
  transform?: (objects: K8sObject[]) => K8sObject[];
  constructor(readonly journal: Call[] = []) {}
  tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }
  synth(envName: string): Manifests {
    this.journal.push({ program: 'synth', args: [envName] });
    let src = parsedFixtures.get(envName);
    if (!src) parsedFixtures.set(envName, (src = readManifests(fixtureDir(envName))));
    const out = this.tempDir('todo-ops-test-');
    for (const f of src.files) {
      const text = this.transform ? this.transform(structuredClone(f.objects)).map((o) => stringify(o)).join('---\n') : f.text;
      fs.mkdirSync(path.dirname(path.join(out, f.name)), { recursive: true });
      fs.writeFileSync(path.join(out, f.name), text);
    }
    return this.transform ? readManifests(out) : { ...structuredClone(src), dir: out };
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

export interface World {
  journal: Call[];
  cluster: FakeCluster;
  programs: FakePrograms;
  synthesizer: FakeSynthesizer;
  log: MemoryLog;
  deps: Deps;
  stdin: string;
}

export function world(): World {
  const journal: Call[] = [];
  const cluster = new FakeCluster(journal);
  const programs = new FakePrograms(journal);
  const synthesizer = new FakeSynthesizer(journal);
  const log = new MemoryLog();
  let clock = Date.parse('2025-06-01T12:00:00Z');
  let counter = 0;
  const w: World = {
    journal,
    cluster,
    programs,
    synthesizer,
    log,
    stdin: '',
    deps: {
      kubectl: cluster,
      programs,
      log,
      synthesizer,
      sleep: (ms) => void (clock += ms),
      now: () => new Date(clock),
      randomBytes: (n) => Buffer.from(Array.from({ length: n }, () => (counter = (counter * 31 + 7) % 251))),
      readStdin: () => w.stdin,
      processEnv: { TODO_IMAGE_TAG: TEST_TAG },
    },
  };
  return w;
}

/** A command context for direct calls into modules. */
export function ctxFor(w: World, argv: string[]): Ctx {
  const args = parseArgs(argv);
  return { ...w.deps, env: resolveEnvironment(args.env, { imageTag: TEST_TAG }), args };
}

/** Puts a Secret with these keys (values as given) into the fake cluster. */
export function putSecret(cluster: FakeCluster, namespace: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): void {
  cluster.upsert({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels },
    data: Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });
}

export function putNamespace(cluster: FakeCluster, name: string): void {
  cluster.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** A compact view of the kubectl calls: "verb resource" or "rollout status deployment/x". */
export function verbs(calls: Call[]): string[] {
  return calls.map((c) => (c.program === 'kubectl' ? c.args.slice(0, c.args[0] === 'rollout' ? 3 : 2).join(' ') : `${c.program} ${c.args.join(' ')}`));
}

const MUTATING = new Set(['apply', 'create', 'delete', 'patch', 'replace', 'edit', 'label', 'annotate', 'scale', 'exec', 'set', 'taint', 'drain', 'cordon']);
/** kubectl calls that change the cluster (a server-side dry run does not). */
export function mutations(calls: Call[]): Call[] {
  return calls.filter(
    (c) =>
      c.program === 'kubectl' &&
      !c.args.some((x) => x.startsWith('--dry-run')) &&
      (MUTATING.has(c.args[0]) || (c.args[0] === 'rollout' && ['restart', 'undo', 'pause', 'resume'].includes(c.args[1]))),
  );
}

/** Runs the CLI entry point against the world; returns the exit code. */
export function runCli(w: World, argv: string[]): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { main } = require('../src/cli') as typeof import('../src/cli');
  return main(argv, () => w.deps);
}
