#!/usr/bin/env node
// Reads the manifests in a dist/<env>/ directory and prints a JSON `List` for kubectl.
//
//   node select.mjs DIR kinds Namespace,ServiceAccount   objects of those kinds, as they are
//   node select.mjs DIR pod-templates                    one Pod per workload pod template
//   node select.mjs DIR unknown-field                    the first Deployment (or other
//                                                        workload) with an unknown field added
//
// pod-templates turns the template of every Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job and CronJob into a Pod in the workload's namespace, so that a
// server dry-run puts it through Pod Security *enforcement* (which applies to Pods
// only; for workloads the apiserver merely warns).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const [dir, mode, arg] = process.argv.slice(2);
if (!dir || !mode) {
  console.error('usage: select.mjs DIR (kinds K1,K2 | pod-templates | unknown-field)');
  process.exit(2);
}

const objects = [];
for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj && obj.kind) objects.push(obj);
  }
}

function templateOf(obj) {
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return obj.spec?.template;
    case 'CronJob':
      return obj.spec?.jobTemplate?.spec?.template;
    default:
      return undefined;
  }
}

let items;
if (mode === 'kinds') {
  const kinds = new Set((arg ?? '').split(','));
  items = objects.filter((o) => kinds.has(o.kind));
} else if (mode === 'pod-templates') {
  items = objects.flatMap((o) => {
    if (o.kind === 'Pod') return [o];
    const t = templateOf(o);
    if (!t) return [];
    const spec = structuredClone(t.spec);
    // A StatefulSet's pods also mount its volumeClaimTemplates, as PVC volumes named
    // like the controller names them (<template>-<statefulset>-<ordinal>).
    for (const vct of (o.kind === 'StatefulSet' && o.spec.volumeClaimTemplates) || []) {
      spec.volumes = [...(spec.volumes ?? []), {
        name: vct.metadata.name,
        persistentVolumeClaim: { claimName: `${vct.metadata.name}-${o.metadata.name}-0` },
      }];
    }
    return [{
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${o.metadata.name}-${o.kind.toLowerCase()}-template`.slice(0, 253),
        namespace: o.metadata.namespace,
        labels: t.metadata?.labels,
        annotations: t.metadata?.annotations,
      },
      spec,
    }];
  });
} else if (mode === 'unknown-field') {
  const w = objects.find((o) => templateOf(o)?.spec?.containers?.length);
  if (!w) throw new Error(`no workload with a pod template in ${dir}`);
  templateOf(w).spec.containers[0].notARealField = 'strict validation must reject this';
  items = [w];
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 1) + '\n');
