/** The prune planner: only objects of the release, of managed kinds, absent from the new synth. */
import { releaseLabels, releaseSelector } from '../../charts/labels';
import type { K8sObject } from '../src/manifests';
import { deleteArgs, listReleaseObjects, planPrune, servedKinds } from '../src/prune';
import { world } from './fakes';
import { HISTORY_CONFIGMAP } from '../src/settings';

const ns = 'todo-dev';
const selector = releaseSelector('dev');
const labels = releaseLabels('dev');
const obj = (apiVersion: string, kind: string, name: string, extra: Partial<K8sObject['metadata']> = {}): K8sObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: ns, labels, ...extra },
});

describe('planPrune', () => {
  const desired = [obj('apps/v1', 'Deployment', 'todo-backend'), obj('v1', 'Service', 'todo-backend'), obj('v1', 'Namespace', ns, { namespace: undefined })];

  test('deletes release objects the new synth no longer has, consumers first', () => {
    const live = [
      obj('apps/v1', 'Deployment', 'todo-backend'),
      obj('v1', 'Service', 'todo-backend'),
      obj('v1', 'ConfigMap', 'todo-old-config'),
      obj('apps/v1', 'Deployment', 'todo-worker'),
      obj('networking.k8s.io/v1', 'Ingress', 'todo'),
    ];
    const plan = planPrune({ desired, live, selector, namespace: ns });
    expect(plan.delete.map((t) => `${t.kind.resource}/${t.name}`)).toEqual(['ingresses.networking.k8s.io/todo', 'deployments.apps/todo-worker', 'configmaps/todo-old-config']);
  });

  test('never touches objects outside the selector, in another namespace, owned by a controller, of protected kinds, or the history', () => {
    const live = [
      obj('v1', 'ConfigMap', 'unlabelled', { labels: undefined }),
      obj('v1', 'ConfigMap', 'other-env', { labels: releaseLabels('staging') }),
      obj('v1', 'ConfigMap', 'half-labelled', { labels: { 'app.kubernetes.io/part-of': 'todo' } }),
      obj('v1', 'ConfigMap', 'elsewhere', { namespace: 'kube-system' }),
      obj('batch/v1', 'Job', 'cron-run-1', { ownerReferences: [{ kind: 'CronJob', name: 'x' }] }),
      obj('v1', 'Namespace', 'todo-old-ns', { namespace: undefined }),
      obj('v1', 'PersistentVolumeClaim', 'data-todo-postgres-0'),
      obj('v1', 'Secret', 'todo-secrets'),
      obj('v1', 'Pod', 'todo-backend-abc-1'),
      obj('apps/v1', 'ReplicaSet', 'todo-backend-abc'),
      obj('v1', 'ConfigMap', HISTORY_CONFIGMAP),
      obj('example.com/v1', 'Deployment', 'not-apps-group'),
    ];
    const plan = planPrune({ desired, live, selector, namespace: ns });
    expect(plan.delete).toEqual([]);
    expect(Object.fromEntries(plan.kept.map((k) => [k.ref, k.reason]))).toEqual({
      'ConfigMap/unlabelled': 'outside the release selector',
      'ConfigMap/other-env': 'outside the release selector',
      'ConfigMap/half-labelled': 'outside the release selector',
      'ConfigMap/elsewhere': 'in namespace kube-system',
      'Job/cron-run-1': 'owned by another object',
      'Namespace/todo-old-ns': 'kind never pruned',
      'PersistentVolumeClaim/data-todo-postgres-0': 'kind never pruned',
      'Secret/todo-secrets': 'kind never pruned',
      'Pod/todo-backend-abc-1': 'kind never pruned',
      'ReplicaSet/todo-backend-abc': 'kind never pruned',
      [`ConfigMap/${HISTORY_CONFIGMAP}`]: 'release history',
      'Deployment/not-apps-group': 'kind never pruned',
    });
  });

  test('identity is group, kind, namespace and name (not the version)', () => {
    const live = [obj('autoscaling/v1', 'HorizontalPodAutoscaler', 'todo-backend')];
    const plan = planPrune({ desired: [obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'todo-backend')], live, selector, namespace: ns });
    expect(plan.delete).toEqual([]);
  });

  test('each deletion names the object AND carries the release selector (the API server re-checks the labels)', () => {
    expect(deleteArgs({ resource: 'configmaps', name: 'x', namespace: ns }, selector, 60)).toEqual([
      'delete',
      'configmaps',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/part-of=todo,app.kubernetes.io/instance=todo-dev',
      '--field-selector',
      'metadata.name=x',
      '--ignore-not-found',
      '--timeout=60s',
    ]);
  });
});

describe('the kinds listed for a prune', () => {
  test('the custom kinds (HTTPRoute, Certificate, ServiceMonitor ...) only where the cluster serves their CRDs; a listing never names a resource the server does not know', () => {
    const w = world();
    expect(servedKinds(w.cluster).map((k) => k.kind)).toEqual(expect.arrayContaining(['HTTPRoute', 'Certificate', 'ReferenceGrant', 'ServiceMonitor', 'Ingress']));
    w.cluster.servesCrds = false;
    const kinds = servedKinds(w.cluster);
    expect(kinds.filter((k) => k.crd)).toEqual([]);
    listReleaseObjects(w.cluster, ns, selector);
    expect(w.cluster.calls.at(-1)!.args[1].split(',')).not.toContain('httproutes.gateway.networking.k8s.io');
  });

  test('an HTTPRoute, Certificate or ReferenceGrant the new synth no longer has is pruned before the workloads', () => {
    const live = [obj('gateway.networking.k8s.io/v1', 'HTTPRoute', 'todo'), obj('cert-manager.io/v1', 'Certificate', 'todo-tls'), obj('gateway.networking.k8s.io/v1beta1', 'ReferenceGrant', 'todo-gateway-tls'), obj('apps/v1', 'Deployment', 'todo-worker')];
    const plan = planPrune({ desired: [], live, selector, namespace: ns });
    expect(plan.delete.map((t) => t.kind.kind)).toEqual(['HTTPRoute', 'ReferenceGrant', 'Certificate', 'Deployment']);
  });
});
