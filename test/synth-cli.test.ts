/**
 * The synth commands users run, `npm run synth` (scripts/synth.mjs -> app/main.ts) and `npx cdk8s
 * synth` (the cdk8s CLI with cdk8s.yaml), on bad configuration: for each category of rejection a bad
 * value in the environments file (or a misapplied override) gives a non-zero exit, one line naming the
 * environment and the field, no stack trace, and the previous dist/ untouched. Runs in a copy of the
 * project, whose environments file it edits.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { copyProject, IN_COPY, type ProjectCopy } from './project-copy';
import { CLI_SCRATCH_DIR } from '../app/cdk8s-cli';

const ENV_FILE = 'charts/config/environments.ts';

function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${path.relative(dir, p)}\0${fs.readFileSync(p)}\0`);
    }
  };
  walk(dir);
  return h.digest('hex');
}

// [category, TypeScript appended to the environments file (or ''), extra environment, the line expected]
const CASES: [string, string, Record<string, string>, string][] = [
  ['limits below requests', `ENVIRONMENTS.production.backend.resources = { requests: { cpu: '2', memory: '384Mi' }, limits: { cpu: '1', memory: '384Mi' } };`, {}, 'synth: environment "production": backend.resources.limits.cpu: the limit (1) is below the request (2)'],
  ['duplicate hosts', `(ENVIRONMENTS.production.gateway.hosts as string[]).push('todo.example.com');`, {}, 'synth: environment "production": gateway.hosts.1: "todo.example.com" is listed twice'],
  ['reserved namespaces', `(ENVIRONMENTS.staging as { namespace: string }).namespace = 'kube-system';`, {}, 'synth: environment "staging": namespace: "kube-system" is reserved for the cluster'],
  ['names', `(ENVIRONMENTS.dev as { secretName?: string }).secretName = 'todo secrets';`, {}, 'synth: environment "dev": secretName: must be a DNS subdomain'],
  ['label and annotation keys', `(ENVIRONMENTS.production.gateway.pods as { podLabels: Record<string, string> }).podLabels = { 'bad key': 'x' };`, {}, 'synth: environment "production": gateway.pods.podLabels.bad key: key "bad key" is not a valid label/annotation key'],
  ['CIDRs', `(ENVIRONMENTS.production.database.egress as { cidrs: string[] }).cidrs = ['10.1.2.3/16'];`, {}, 'synth: environment "production": database.egress.cidrs.0: "10.1.2.3/16" has address bits set after the /16 prefix'],
  ['a world-open database egress', `(ENVIRONMENTS.production.database.egress as { cidrs: string[] }).cidrs = ['0.0.0.0/0'];`, {}, 'synth: environment "production": database.egress.cidrs.0: "0.0.0.0/0" opens the database port towards every address'],
  ['TLS without a host', `(ENVIRONMENTS.staging.gateway as { hosts: string[] }).hosts = [];`, {}, 'synth: environment "staging": gateway.tls: TLS without a host'],
  ['quantities', `ENVIRONMENTS.production.frontend.resources = { ...ENVIRONMENTS.production.frontend.resources, limits: { cpu: '500m', memory: '192m' } };`, {}, 'synth: environment "production": frontend.resources.limits.memory: "192m" is in milli-bytes'],
  ['values that make no sense at scale', `(ENVIRONMENTS.production.database as { connectionBudget: number }).connectionBudget = 100;`, {}, 'synth: environment "production": database.connectionBudget: the backend may open (10 + 1 surge) × pool 10 + 11 migration = 121 connections'],
  ['two environments in one namespace', `(ENVIRONMENTS.e2e as { namespace: string }).namespace = 'todo-dev';`, {}, 'synth: environment "e2e": namespace: "todo-dev" is already the namespace of environment "dev"'],
  ['an override that means one deployment, without --env', '', { TODO_HOST: 'todo.example.com' }, 'synth: --host (TODO_HOST) applies to the environments you name: add --env NAME'],
  ['an image pinned for every environment', '', { TODO_BACKEND_IMAGE: 'registry.example.com/todo/todo-backend:v2' }, 'synth: --backend-image (TODO_BACKEND_IMAGE) applies to the environments you name'],
];

(IN_COPY ? describe.skip : describe)('npm run synth and npx cdk8s synth on bad configuration', () => {
  let copy: ProjectCopy;
  let original: string;
  let good: string;
  beforeAll(() => {
    copy = copyProject('todo-cli-');
    original = copy.read(ENV_FILE);
    const r = copy.run('node scripts/synth.mjs');
    if (r.status !== 0) throw new Error(r.stderr);
    good = hashTree(path.join(copy.dir, 'dist'));
  }, 120_000);
  afterAll(() => copy?.remove());

  test('cdk8s.yaml gives the CLI the scratch directory the app knows', () => {
    expect(copy.read('cdk8s.yaml')).toMatch(new RegExp(`^output: ${CLI_SCRATCH_DIR.replace(/[.]/g, '\\.')}$`, 'm'));
  });

  test.each(CASES)('%s', (_category, code, env, line) => {
    copy.write(ENV_FILE, code ? `${original}\n${code}\n` : original);
    try {
      for (const command of ['node scripts/synth.mjs', 'npx cdk8s synth']) {
        const r = copy.run(command, env);
        const ours = r.stderr.split('\n').filter((l) => l.startsWith('synth: '));
        expect([command, r.status === 0, ours]).toEqual([command, false, [expect.stringContaining(line)]]);
        expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
        expect(hashTree(path.join(copy.dir, 'dist'))).toBe(good); // the previous dist/ survives
        if (command === 'node scripts/synth.mjs') expect(r.stderr.trim()).toBe(ours[0]); // exactly one line
      }
    } finally {
      copy.write(ENV_FILE, original);
    }
  }, 120_000);

  test('npx cdk8s synth writes dist/ like npm run synth', () => {
    fs.rmSync(path.join(copy.dir, 'dist'), { recursive: true, force: true });
    const r = copy.run('npx cdk8s synth');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(hashTree(path.join(copy.dir, 'dist'))).toBe(good);
    expect(r.stdout).toContain(`${CLI_SCRATCH_DIR}/dev/20-workloads.k8s.yaml`);
  }, 120_000);

  test('flags: an override names its environments; unknown options and environments are refused', () => {
    const out = path.join(copy.dir, 'out-flags');
    const ok = copy.run(`node scripts/synth.mjs --env production --outdir ${out}`, { TODO_IMAGE_TAG: 'ci-123', TODO_HOST: 'todo.ci.example.com' });
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    const yaml = fs.readFileSync(path.join(out, 'production', '20-workloads.k8s.yaml'), 'utf8');
    expect(yaml).toContain('image: registry.example.com/todo/todo-backend:ci-123');
    expect(yaml).toContain('- todo.ci.example.com');
    expect(fs.readdirSync(out)).toEqual(['production']);
    for (const [args, message] of [
      ['--env no-such-env', 'synth: unknown environment "no-such-env" (known: '],
      ['--image-tag latest', 'must not use the tag latest'],
      ['--bogus', 'synth: unknown option --bogus'],
    ]) {
      const r = copy.run(`node scripts/synth.mjs ${args} --outdir ${out}-bad`);
      expect([r.status, r.stderr.trim().split('\n').length]).toEqual([1, 1]);
      expect(r.stderr).toContain(message);
      expect(fs.existsSync(`${out}-bad`)).toBe(false);
    }
  }, 120_000);
});
