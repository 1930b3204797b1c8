/**
 * helm-chart: what the chart holds and what it keeps out. Helm itself renders it in
 * scripts/ci/helm.sh (lint --strict, template = dist/<env>); here the text is checked directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { imageKeys, PREREQUISITES_FILE, SMOKE_HOOK_FILE, smokeTestHook, templateText } from '../src/helm-chart';
import { compareObjects, compareRendering, firstDifference } from '../src/helm-compare';
import { readManifests, type K8sObject } from '../src/manifests';
import { smokeChecks, smokePod } from '../src/smoke';
import { ctxFor, fixtureDir, runCli, TEST_TAG, world, type World } from './fakes';

let outdir: string;
beforeEach(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-helm-chart-test-'));
});
afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

const chartDir = () => path.join(outdir, 'todo-dev');
const read = (rel: string) => fs.readFileSync(path.join(chartDir(), rel), 'utf8');
const parse = (text: string) => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as K8sObject).filter(Boolean);
const values = () => parse(read('values.yaml'))[0] as unknown as { images: Record<string, string> };

/** Only the two constructs the generator writes: image values and escaped braces. Anything else left is an error. */
function substitute(text: string, images: Record<string, string>): string {
  const out = text
    .replace(/\{\{ \.Values\.images\.([A-Za-z0-9]+) \| quote \}\}/g, (_m, k: string) => JSON.stringify(images[k]))
    .replace(/\{\{ "(\{\{|\}\})" \}\}/g, '$1');
  return out;
}
const templates = (images = values().images) =>
  fs
    .readdirSync(path.join(chartDir(), 'templates'))
    .filter((f) => f.endsWith('.k8s.yaml'))
    .flatMap((f) => parse(substitute(read(`templates/${f}`), images)));

const generate = (w: World, extra: string[] = []) => runCli(w, ['helm-chart', '--env', 'dev', '--outdir', outdir, ...extra]);

describe('helm-chart command', () => {
  test('writes the chart without kubectl and without touching a cluster', () => {
    const w = world();
    w.programs.installed.delete('kubectl');
    expect(generate(w)).toBe(0);
    expect(w.cluster.calls).toEqual([]);
    expect(fs.readdirSync(chartDir()).sort()).toEqual(['.helmignore', 'Chart.yaml', 'README.md', PREREQUISITES_FILE, 'templates', 'values.schema.json', 'values.yaml'].sort());
    expect(parse(read('Chart.yaml'))[0]).toMatchObject({ apiVersion: 'v2', name: 'todo-dev', version: '0.1.0', appVersion: 'abcdef012345', kubeVersion: '>=1.31.0-0' });
    expect(read('.helmignore')).toBe(`${PREREQUISITES_FILE}\n`);
    expect(w.log.text).toContain(`chart todo-dev 0.1.0, 18 objects, the smoke test as a helm test hook, images backend, frontend, postgres; outside the chart (`);
  });

  test('templates: every synthesized object but the Namespace, with the default images equal to the synth; the Namespace in prerequisites.yaml', () => {
    const w = world();
    expect(generate(w)).toBe(0);
    const synthesized = readManifests(fixtureDir('dev')).objects;
    expect(values().images).toEqual({ backend: `todo-backend:${TEST_TAG}`, frontend: `todo-frontend:${TEST_TAG}`, postgres: 'postgres:17.11-trixie' });
    expect(compareObjects(synthesized.filter((o) => o.kind !== 'Namespace'), templates(), { expected: 'synth', actual: 'chart' })).toEqual([]);
    expect(parse(read(PREREQUISITES_FILE))).toEqual(synthesized.filter((o) => o.kind === 'Namespace'));
    // the negative control of the comparison above: another image value shows up, named
    expect(compareObjects(synthesized.filter((o) => o.kind !== 'Namespace'), templates({ ...values().images, postgres: 'postgres:18' }), { expected: 'synth', actual: 'chart' })).toEqual([
      'StatefulSet/todo-postgres (todo-dev) apps/v1 differs at spec.template.spec.containers[0].image: "postgres:17.11-trixie" vs "postgres:18" (synth vs chart)',
    ]);
  });

  test('the smoke-test hook is the ops tool\'s smoke Pod (smoke.ts) with the backend image value and the helm test annotations', () => {
    const w = world();
    expect(generate(w)).toBe(0);
    const [hook] = parse(substitute(read(SMOKE_HOOK_FILE), values().images));
    const env = ctxFor(world(), ['smoke', '--env', 'dev']).env;
    const pod = smokePod(env, 'todo-dev-smoke-test', `todo-backend:${TEST_TAG}`, 'IfNotPresent', smokeChecks(env), 300);
    expect(hook).toEqual({
      ...pod,
      metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' } },
    });
    expect(read(SMOKE_HOOK_FILE)).toContain('image: {{ .Values.images.backend | quote }}');
  });

  test('a release namespace other than the environment\'s is refused by the chart itself', () => {
    expect(generate(world())).toBe(0);
    expect(read('templates/namespace-guard.yaml')).toContain('{{- if ne .Release.Namespace "todo-dev" }}');
    expect(read('templates/namespace-guard.yaml')).toContain('{{- fail (printf "chart todo-dev installs into namespace todo-dev only');
  });

  test('Secrets and standalone PVCs in a synth stay out of the chart too; braces in data print themselves', () => {
    const w = world();
    const extras: K8sObject[] = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'extra', namespace: 'todo-dev' }, stringData: { a: 'b' } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'files', namespace: 'todo-dev' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'braces', namespace: 'todo-dev' }, data: { tpl: 'Hello {{ .Values.name }} }}{{' } },
    ];
    // (transform runs once per file: the extras go into the file with the StatefulSet)
    w.synthesizer.transform = (objs) => (objs.some((o) => o.kind === 'StatefulSet') ? [...objs, ...extras] : objs);
    expect(generate(w)).toBe(0);
    expect(parse(read(PREREQUISITES_FILE)).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Namespace/todo-dev', 'PersistentVolumeClaim/files', 'Secret/extra']);
    const kinds = templates().map((o) => o.kind);
    expect(kinds).not.toContain('Secret');
    expect(kinds).not.toContain('PersistentVolumeClaim');
    expect(kinds).not.toContain('Namespace');
    const all = fs.readdirSync(path.join(chartDir(), 'templates')).map((f) => (f.endsWith('.yaml') ? read(`templates/${f}`) : '')).join('\n');
    expect(all).toContain('Hello {{ "{{" }} .Values.name {{ "}}" }} {{ "}}" }}{{ "{{" }}');
    expect(templates().find((o) => o.metadata.name === 'braces')!.data.tpl).toBe('Hello {{ .Values.name }} }}{{');
  });

  test('a StatefulSet whose PVCs would be deleted with it is refused; nothing is written and an earlier chart stays', () => {
    const w = world();
    expect(generate(w)).toBe(0);
    fs.writeFileSync(path.join(chartDir(), 'marker'), 'earlier chart');
    w.synthesizer.transform = (objs) => objs.map((o) => (o.kind === 'StatefulSet' ? { ...o, spec: { ...o.spec, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } } } : o));
    expect(generate(w)).toBe(1);
    expect(w.log.text).toContain('ops: helm-chart: StatefulSet/todo-postgres has persistentVolumeClaimRetentionPolicy.whenDeleted: Delete: helm uninstall would delete its PersistentVolumeClaims (the database)');
    expect(fs.readFileSync(path.join(chartDir(), 'marker'), 'utf8')).toBe('earlier chart');
    expect(fs.readdirSync(outdir)).toEqual(['todo-dev']);
    w.synthesizer.transform = undefined;
    expect(generate(w)).toBe(0);
    expect(fs.existsSync(path.join(chartDir(), 'marker'))).toBe(false);
  });

  test('--from DIR reads those manifests instead of synthesizing', () => {
    const w = world();
    expect(generate(w, ['--from', fixtureDir('dev')])).toBe(0);
    expect(w.journal.filter((c) => c.program === 'synth')).toEqual([]);
    expect(templates()).toHaveLength(18);
  });
});

describe('the comparison scripts/ci/helm.sh runs on helm template output', () => {
  const env = ctxFor(world(), ['smoke', '--env', 'dev']).env;
  const synthesized = readManifests(fixtureDir('dev')).objects;
  const release = synthesized.filter((o) => o.kind !== 'Namespace');
  const prerequisites = synthesized.filter((o) => o.kind === 'Namespace');
  const hook = smokeTestHook(env, `todo-backend:${TEST_TAG}`);
  const compare = (rendered: K8sObject[], images?: Record<string, string>, pre = prerequisites) => compareRendering({ env, synthesized, rendered, prerequisites: pre, images, distName: 'dist/dev' });

  test('equal: the release objects, the prerequisites and the hook', () => {
    expect(compare([...release, hook])).toEqual([]);
  });

  test('each kind of difference is named', () => {
    const changed = structuredClone(release);
    changed.find((o) => o.kind === 'Service')!.spec.ports[0].port = 81;
    expect(compare([...changed, hook])).toEqual([expect.stringMatching(/^Service\/todo-\w+ \(todo-dev\) v1 differs at spec\.ports\[0\]\.port: 80 vs 81 \(dist\/dev vs helm template\)$/)]);
    expect(compare([...release.slice(1), hook])).toEqual([expect.stringContaining('in dist/dev, missing in helm template')]);
    expect(compare([...release, hook, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'todo-dev' } }])).toEqual(['ConfigMap/x (todo-dev) v1: in helm template, not in dist/dev']);
    expect(compare([...release])).toEqual(['Pod/todo-dev-smoke-test (todo-dev) v1: in the smoke test (ops/src/smoke.ts), missing in the helm test hooks']);
    expect(compare([...release, ...prerequisites, hook], undefined, [])).toEqual([
      'Namespace/todo-dev v1 is a release object: helm uninstall would delete it',
      'Namespace/todo-dev v1: in helm template, not in dist/dev',
      'Namespace/todo-dev v1: in dist/dev (Namespace, PVCs, Secrets), missing in prerequisites.yaml',
    ]);
  });

  test('overridden images are expected in every container of that image and in the hook', () => {
    const images = { backend: 'registry.example.com/b@sha256:1' };
    const rendered = JSON.parse(JSON.stringify([...release, hook]).replaceAll(`todo-backend:${TEST_TAG}`, images.backend)) as K8sObject[];
    expect(compare(rendered, images)).toEqual([]);
    expect(compare([...release, hook], images).map((p) => p.split(' ')[0])).toEqual(['Deployment/todo-backend', 'Pod/todo-dev-smoke-test']); // (the first difference of each object)
    expect(compare(rendered, { backnd: 'x' })).toEqual(['no image value named backnd (values: backend, frontend, postgres)']);
  });
});

describe('pieces', () => {
  test('image keys: the app\'s repositories by name, others in camelCase, numbered on a clash', () => {
    const pod = (images: string[]): K8sObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } });
    expect([...imageKeys([pod(['reg:5000/team/todo-backend:1@sha256:ab', 'todo-frontend:2', 'ghcr.io/x/my-side_car:3', 'postgres:17', 'postgres:18', '1st:1'])]).values()]).toEqual([
      'backend',
      'frontend',
      'mySideCar',
      'postgres',
      'postgres2',
      'st',
    ]);
  });

  test('firstDifference walks objects and arrays', () => {
    expect(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBeUndefined();
    expect(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe('a[1].b: 2 vs 3');
    expect(firstDifference({ a: 1 }, { a: 1, c: 'x' })).toBe('c: (absent) vs "x"');
    expect(firstDifference([1], { 0: 1 })).toBe('(root): [1] vs {"0":1}');
  });

  test('template text: braces of the data are escaped, image tokens become values, nothing else changes', () => {
    expect(templateText('a: "{{x}}"\nimage: __todo_helm_image_backend__\nb: c')).toBe('a: "{{ "{{" }}x{{ "}}" }}"\nimage: {{ .Values.images.backend | quote }}\nb: c');
  });
});
