/** uninstall: the release's objects go, the data stays unless asked, nothing else is touched. */
import { releaseLabels } from '../../charts/labels';
import { HISTORY_CONFIGMAP } from '../src/settings';
import { mutations, putSecret, runCli, TEST_TAG, world, type World } from './fakes';

function installed(): World {
  const w = world();
  w.cluster.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'todo-dev' } });
  putSecret(w.cluster, 'todo-dev', 'todo-secrets', { 'jwt-secret': 'j'.repeat(64), 'database-url': 'postgres://x', 'migration-database-url': 'postgres://x', 'postgres-password': 'pw' }, { ...releaseLabels('dev'), 'app.kubernetes.io/managed-by': 'todo-ops' });
  w.programs.responses['minikube -p minikube image ls --format short'] = { code: 0, stdout: `todo-backend:${TEST_TAG}\ntodo-frontend:${TEST_TAG}\n`, stderr: '' };
  expect(runCli(w, ['deploy', '--env', 'dev', '--skip-smoke'])).toBe(0);
  // what the StatefulSet controller creates from its volumeClaimTemplate (it carries the template's labels)
  w.cluster.upsert({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-todo-postgres-0', namespace: 'todo-dev', labels: releaseLabels('dev') } });
  // not ours
  w.cluster.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: 'todo-dev' } });
  w.cluster.upsert({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'todo-backend', namespace: 'todo-staging', labels: releaseLabels('staging') } });
  w.journal.length = 0;
  w.log.lines.length = 0;
  return w;
}

const kinds = (w: World, ns = 'todo-dev') => w.cluster.objects.filter((o) => o.metadata.namespace === ns || (o.kind === 'Namespace' && o.metadata.name === ns)).map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('uninstall', () => {
  test('deletes the release objects, keeps the PVC, the Secret and the Namespace, and says so', () => {
    const w = installed();
    expect(runCli(w, ['uninstall', '--env', 'dev'])).toBe(0);
    expect(kinds(w)).toEqual(['ConfigMap/unrelated', 'Namespace/todo-dev', 'PersistentVolumeClaim/data-todo-postgres-0', 'Secret/todo-secrets']);
    expect(w.cluster.find('Deployment', 'todo-backend', 'todo-staging')).toBeDefined();
    expect(w.log.text).toContain('kept: persistentvolumeclaim/data-todo-postgres-0 (database data), secret/todo-secrets, namespace/todo-dev');
    expect(w.log.text).toContain('--delete-data deletes the PVCs and the Secrets');
    for (const c of mutations(w.cluster.calls).filter((x) => x.args[0] === 'delete' && x.args[1] !== 'pods')) {
      expect(c.args).toEqual(expect.arrayContaining(['-l', 'app.kubernetes.io/part-of=todo,app.kubernetes.io/instance=todo-dev']));
    }
  });

  test('--keep-history keeps the release history', () => {
    const w = installed();
    expect(runCli(w, ['uninstall', '--env', 'dev', '--keep-history'])).toBe(0);
    expect(w.cluster.find('ConfigMap', HISTORY_CONFIGMAP)).toBeDefined();
  });

  test('--delete-data deletes the PVC and the tool-made Secret; --delete-namespace the Namespace too', () => {
    const w = installed();
    expect(runCli(w, ['uninstall', '--env', 'dev', '--delete-data'])).toBe(0);
    expect(kinds(w)).toEqual(['ConfigMap/unrelated', 'Namespace/todo-dev']);
    const w2 = installed();
    w2.cluster.objects.find((o) => o.kind === 'Namespace')!.metadata.labels = releaseLabels('dev');
    expect(runCli(w2, ['uninstall', '--env', 'dev', '--delete-data', '--delete-namespace'])).toBe(0);
    expect(kinds(w2)).toEqual([]);
    expect(w2.cluster.find('Deployment', 'todo-backend', 'todo-staging')).toBeDefined();
  });

  test('a Secret the tool did not create (no release labels: External Secrets, Sealed Secrets) is never deleted', () => {
    const w = installed();
    putSecret(w.cluster, 'todo-dev', 'todo-secrets', { 'jwt-secret': 'x' }, { 'reconcile.external-secrets.io/managed': 'true' });
    expect(runCli(w, ['uninstall', '--env', 'dev', '--delete-data'])).toBe(0);
    expect(w.cluster.find('Secret', 'todo-secrets')).toBeDefined();
    expect(w.log.text).toContain('secret/todo-secrets (not created by ops secrets: never deleted by the tool)');
  });

  test('--dry-run deletes nothing', () => {
    const w = installed();
    const before = kinds(w);
    expect(runCli(w, ['uninstall', '--env', 'dev', '--dry-run', '--delete-data'])).toBe(0);
    expect(mutations(w.cluster.calls)).toEqual([]);
    expect(kinds(w)).toEqual(before);
    expect(w.log.text).toContain('would delete Deployment/todo-backend');
  });
});
