/**
 * A Helm chart of one environment, made from its synthesized manifests (every file of dist/<env>):
 *
 *   <outdir>/todo-<env>/Chart.yaml, values.yaml, values.schema.json, README.md, .helmignore
 *   <outdir>/todo-<env>/templates/<file>     each manifest file, minus the objects that must
 *                                            outlive the release; container images become values
 *   <outdir>/todo-<env>/templates/tests/smoke-test.yaml   the ops tool's smoke-test Pod as a
 *                                            `helm test` hook (same definition: smoke.ts)
 *   <outdir>/todo-<env>/templates/namespace-guard.yaml    refuses any release namespace but the env's
 *   <outdir>/todo-<env>/prerequisites.yaml   the objects kept out of the chart (the Namespace; a PVC
 *                                            or Secret if a synth ever had one), for kubectl apply;
 *                                            listed in .helmignore, so not part of a packaged chart
 *
 * With the default values, `helm template` renders exactly the synthesized objects minus the
 * prerequisites (scripts/ci/helm.sh compares them object by object: helm-compare.ts). Helm deletes on uninstall only
 * the objects of its release manifest, so the Namespace (and with it the Secrets), the Secrets that
 * `ops secrets` makes and the PVCs of the StatefulSet's volumeClaimTemplates are never deleted by it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSeq, parseAllDocuments, stringify, type Document } from 'yaml';
import { BACKEND, IMAGE_REPOSITORIES } from '@todo/contract';
import type { ResolvedEnvironment } from '../../charts/config';
import { releaseLabels } from '../../charts/labels';
import { OpsError } from './errors';
import { containersOf, findObject, podSpecPath, YAML_VERSION, type K8sObject, type Manifests } from './manifests';
import { isProtected } from './resources';
import { DEFAULT_TIMEOUT_SECONDS, SUPPORTED_SERVER_VERSIONS } from './settings';
import { smokeChecks, smokePod } from './smoke';

export const DEFAULT_CHART_OUTDIR = 'dist-helm';
export const PREREQUISITES_FILE = 'prerequisites.yaml';
export const SMOKE_HOOK_FILE = 'templates/tests/smoke-test.yaml';
const CONTAINER_FIELDS = ['initContainers', 'containers'] as const;

/** The release (and chart) name: the release labels' instance, `todo-<env>`. */
export function releaseName(env: ResolvedEnvironment): string {
  return releaseLabels(env.name)['app.kubernetes.io/instance'];
}

/** Objects that stay out of the chart so that `helm uninstall` cannot delete them. */
export function isPrerequisite(o: K8sObject): boolean {
  return isProtected(o.apiVersion, o.kind);
}

/** `registry:5000/team/todo-backend:1.2@sha256:...` -> `todo-backend`. */
export function repositoryName(ref: string): string {
  const noDigest = ref.split('@')[0];
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  return last.split(':')[0];
}

/**
 * The values key of each distinct container image, in order of first appearance: `backend` and
 * `frontend` for the app's repositories, the repository name in camelCase for the others
 * (`postgres`), numbered when two references share a name.
 */
export function imageKeys(objects: readonly K8sObject[]): Map<string, string> {
  const byRepo = new Map<string, string>(Object.entries(IMAGE_REPOSITORIES).map(([key, repo]) => [repo, key]));
  const keys = new Map<string, string>();
  const used = new Set<string>();
  for (const c of objects.flatMap(containersOf)) {
    if (typeof c.image !== 'string' || keys.has(c.image)) continue;
    const repo = repositoryName(c.image);
    const base = byRepo.get(repo) ?? (repo.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? '').toUpperCase()).replace(/^[^A-Za-z]+/, '') || 'image');
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}${n}`;
    used.add(key);
    keys.set(c.image, key);
  }
  return keys;
}

/** The smoke-test Pod of smoke.ts as a `helm test` hook (Service checks; the Ingress address is only known at run time). */
export function smokeTestHook(env: ResolvedEnvironment, backendImage: string): K8sObject {
  const pod = smokePod(env, `${releaseName(env)}-smoke-test`, backendImage, env.config.imagePullPolicy, smokeChecks(env), DEFAULT_TIMEOUT_SECONDS);
  pod.metadata.labels = { ...pod.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm' };
  // A passed test's Pod goes (Helm 4 deletes it after `helm test --logs` read its log); a failed one stays until the next run.
  pod.metadata.annotations = { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' };
  return pod;
}

/** The backend image the smoke test runs: the backend Deployment's backend container. */
export function backendImage(env: ResolvedEnvironment, objects: readonly K8sObject[]): string {
  const dep = findObject(objects, 'Deployment', env.names.backend);
  const image = dep?.spec?.template?.spec?.containers?.find((c: { name: string }) => c.name === BACKEND.component)?.image;
  if (typeof image !== 'string') throw new OpsError(`no Deployment ${env.names.backend} with a ${BACKEND.component} container: the smoke-test hook needs its image`);
  return image;
}

const token = (key: string) => `__todo_helm_image_${key}__`;
const TOKEN = /(["']?)__todo_helm_image_([A-Za-z0-9]+)__\1/g;

/** Go-template text of YAML: `{{` and `}}` of the data print themselves; image tokens become values. */
export function templateText(yamlText: string): string {
  return yamlText
    .replace(/\{\{|\}\}/g, (m) => (m === '{{' ? '{{ "{{" }}' : '{{ "}}" }}'))
    .replace(TOKEN, (_m, _q, key: string) => `{{ .Values.images.${key} | quote }}`);
}

const docText = (docs: Document[]) =>
  docs
    .map((d) => d.toString({ lineWidth: 0 }).replace(/^---\n/, ''))
    .join('---\n');

/** Refuses manifests whose chart would not keep the data or would escape the release namespace. */
function checkObjects(env: ResolvedEnvironment, objects: readonly K8sObject[]): void {
  for (const o of objects) {
    const ref = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'StatefulSet' && o.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') {
      throw new OpsError(`${ref} has persistentVolumeClaimRetentionPolicy.whenDeleted: Delete: helm uninstall would delete its PersistentVolumeClaims (the database)`);
    }
    if (o.kind !== 'Namespace' && o.metadata.namespace !== undefined && o.metadata.namespace !== env.namespace) {
      throw new OpsError(`${ref} is in namespace ${o.metadata.namespace}, not ${env.namespace}: a release lives in one namespace`);
    }
    if (o.metadata.annotations?.['helm.sh/hook']) throw new OpsError(`${ref} already carries a helm.sh/hook annotation`);
  }
}

export interface ChartInput {
  env: ResolvedEnvironment;
  manifests: Manifests;
  /** Chart version (SemVer). */
  version: string;
  appVersion: string;
}

export interface HelmChart {
  name: string;
  /** Relative path -> content. */
  files: Map<string, string>;
  images: Record<string, string>;
  prerequisites: K8sObject[];
  /** Objects in templates/ (without the hook). */
  objectCount: number;
}

export function buildChart({ env, manifests, version, appVersion }: ChartInput): HelmChart {
  checkObjects(env, manifests.objects);
  const name = releaseName(env);
  const keys = imageKeys(manifests.objects);
  const files = new Map<string, string>();
  const prerequisiteDocs: Document[] = [];
  let objectCount = 0;

  for (const f of manifests.files) {
    const kept: Document[] = [];
    for (const doc of parseAllDocuments(f.text, { version: YAML_VERSION }) as Document[]) {
      const o = doc.toJS() as K8sObject | null;
      if (!o) continue;
      if (isPrerequisite(o)) {
        prerequisiteDocs.push(doc);
        continue;
      }
      const p = podSpecPath(o.kind);
      for (const field of p ? CONTAINER_FIELDS : []) {
        const list = doc.getIn([...p!, field]);
        if (!isSeq(list)) continue;
        list.items.forEach((_c, i) => {
          const image = doc.getIn([...p!, field, i, 'image']);
          if (typeof image === 'string') doc.setIn([...p!, field, i, 'image'], token(keys.get(image)!));
        });
      }
      kept.push(doc);
    }
    objectCount += kept.length;
    if (kept.length) files.set(`templates/${f.name}`, templateText(docText(kept)));
  }

  const backendKey = keys.get(backendImage(env, manifests.objects))!;
  files.set(SMOKE_HOOK_FILE, templateText(stringify(smokeTestHook(env, token(backendKey)), { version: YAML_VERSION, lineWidth: 0 })));
  files.set(
    'templates/namespace-guard.yaml',
    [
      `{{- /* Every object of this chart is synthesized for namespace ${env.namespace}. */ -}}`,
      `{{- if ne .Release.Namespace ${JSON.stringify(env.namespace)} }}`,
      `{{- fail (printf ${JSON.stringify(`chart ${name} installs into namespace ${env.namespace} only (helm install ${name} <chart> --namespace ${env.namespace}), not %q`)} .Release.Namespace) }}`,
      '{{- end }}',
      '',
    ].join('\n'),
  );

  const images = Object.fromEntries([...keys].map(([ref, key]) => [key, ref]));
  const { min } = SUPPORTED_SERVER_VERSIONS;
  files.set(
    'Chart.yaml',
    stringify(
      {
      apiVersion: 'v2',
      name,
      description: `The todo app, environment ${env.name}: the cdk8s synth as a chart (npm run helm-chart -- --env ${env.name}; regenerate, do not edit)`,
      type: 'application',
      version,
      appVersion,
      kubeVersion: `>=${min.major}.${min.minor}.0-0`,
      },
      { lineWidth: 0 },
    ),
  );
  files.set(
    'values.yaml',
    `# Container images, full references (repository:tag or repository@sha256:...). Defaults: the synth's.\n${stringify({ images })}`,
  );
  files.set(
    'values.schema.json',
    `${JSON.stringify(
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        additionalProperties: false,
        required: ['images'],
        properties: {
          images: {
            type: 'object',
            additionalProperties: false,
            required: Object.keys(images),
            properties: Object.fromEntries(Object.keys(images).map((k) => [k, { type: 'string', minLength: 1, description: `image of the ${k} containers` }])),
          },
        },
      },
      null,
      2,
    )}\n`,
  );
  files.set('.helmignore', `${PREREQUISITES_FILE}\n`);
  const prerequisites = prerequisiteDocs.map((d) => d.toJS() as K8sObject);
  if (prerequisiteDocs.length) {
    files.set(
      PREREQUISITES_FILE,
      `# Not part of the chart: helm uninstall must not delete these. Apply before helm install:\n#   kubectl apply --server-side -f ${PREREQUISITES_FILE}\n${docText(prerequisiteDocs)}`,
    );
  }
  files.set('README.md', chartReadme(env, name, prerequisites));
  files.set('templates/NOTES.txt', `${name} revision {{ .Release.Revision }} in namespace {{ .Release.Namespace }}.\nSmoke test: helm test ${name} --namespace {{ .Release.Namespace }} --logs\nhelm uninstall keeps the Namespace, the Secret ${env.secretName} and the database volume (not part of this release).\n`);
  return { name, files, images, prerequisites, objectCount };
}

function chartReadme(env: ResolvedEnvironment, name: string, prerequisites: K8sObject[]): string {
  const ns = env.namespace;
  return `# ${name}

The todo app's \`${env.name}\` environment as a Helm chart, generated from the cdk8s synth by
\`npm run helm-chart -- --env ${env.name}\` (regenerate it; do not edit). See docs/operations.md.

\`\`\`sh
kubectl apply --server-side -f ${PREREQUISITES_FILE}   # ${prerequisites.map((o) => `${o.kind} ${o.metadata.name}`).join(', ') || 'nothing'} (or: npm run secrets -- --env ${env.name})
npm run secrets -- --env ${env.name}                     # the Secret ${env.secretName}
helm install ${name} . --namespace ${ns} --wait
helm test ${name} --namespace ${ns} --logs
helm upgrade ${name} . --namespace ${ns} --wait --set images.backend=<ref>
helm rollback ${name} --namespace ${ns} --wait
helm uninstall ${name} --namespace ${ns} --wait          # keeps the Namespace, the Secret, the database volume
\`\`\`

Values: \`images.<name>\`, the full reference of each container image (values.yaml).
`;
}

/** Writes the chart into `<outdir>/<name>` through a temporary directory (an earlier chart is replaced only when all is written). */
export function writeChart(chart: HelmChart, outdir: string): string {
  fs.mkdirSync(outdir, { recursive: true });
  const final = path.join(outdir, chart.name);
  const tmp = fs.mkdtempSync(path.join(outdir, `.${chart.name}-`));
  try {
    for (const [rel, text] of chart.files) {
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), text);
    }
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new OpsError(`cannot write the chart to ${final}: ${(e as Error).message}`);
  }
  return final;
}
