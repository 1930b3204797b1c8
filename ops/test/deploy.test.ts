/** deploy: the order of its steps, what it records, and what it does when something fails. */
import { releaseSelector } from '../../charts/labels';
import { readHistory } from '../src/history';
import { HISTORY_CONFIGMAP } from '../src/settings';
import { mutations, putSecret, runCli, TEST_TAG, verbs, world, type World } from './fakes';

const DEV_SECRET = { 'jwt-secret': 'j'.repeat(64), 'database-url': 'postgres://todo:pw@todo-postgres:5432/todo', 'migration-database-url': 'postgres://todo:pw@todo-postgres:5432/todo', 'postgres-password': 'pw' };

function devWorld(): World {
  const w = world();
  w.cluster.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'todo-dev' } });
  putSecret(w.cluster, 'todo-dev', 'todo-secrets', DEV_SECRET);
  w.programs.responses['minikube -p minikube image ls --format short'] = {
    code: 0,
    stdout: `docker.io/library/todo-backend:${TEST_TAG}\ndocker.io/library/todo-frontend:${TEST_TAG}\nregistry.k8s.io/pause:3.10\n`,
    stderr: '',
  };
  return w;
}

describe('deploy', () => {
  test('runs synth -> preflight -> apply -> prune -> record -> migrate/rollouts -> smoke -> record, in that order', () => {
    const w = devWorld();
    expect(runCli(w, ['deploy', '--env', 'dev'])).toBe(0);
    const steps = verbs(w.journal);
    const at = (s: string) => {
      const i = steps.findIndex((x) => x.startsWith(s));
      if (i < 0) throw new Error(`step ${s} missing in ${steps.join(' | ')}`);
      return i;
    };
    const order = [
      'synth dev',
      'version -o',
      'get secret',
      'minikube -p minikube image ls',
      'apply --server-side',
      `get ${'httproutes.gateway.networking.k8s.io'}`, // the prune listing (the CRD kinds the cluster serves, then the built-in ones)
      'rollout status statefulset/todo-postgres',
      'rollout status deployment/todo-backend',
      'rollout status deployment/todo-frontend',
      'create -f',
    ].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // the revision is recorded (pending) after the prune and before the waits, and finalized after the smoke test
    const historyWrites = w.cluster.calls.map((c, i) => ({ c, i })).filter(({ c }) => c.args[0] === 'apply' && c.args.includes('-') && c.stdin?.includes(HISTORY_CONFIGMAP));
    expect(historyWrites).toHaveLength(2);
    // the main apply is server-side with the tool's field manager
    const apply = w.cluster.calls.find((c) => c.args[0] === 'apply' && !c.args.includes('-'))!;
    expect(apply.args.slice(0, 4)).toEqual(['apply', '--server-side', '--field-manager=todo-ops', '--force-conflicts']);
    const h = readHistory(w.cluster, 'todo-dev');
    expect(h.revisions).toEqual([expect.objectContaining({ revision: 1, status: 'deployed', description: 'install', git: 'abcdef012345', images: expect.arrayContaining([`todo-backend:${TEST_TAG}`]) })]);
    expect(h.revisions[0].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(h.manifests.has(1)).toBe(true);
    // the smoke pod is gone afterwards
    expect(w.cluster.objects.filter((o) => o.kind === 'Pod')).toEqual([]);
    expect(w.log.text).toContain('revision 1 deployed to todo-dev');
  });

  test('a second deploy is an upgrade and supersedes the first revision', () => {
    const w = devWorld();
    expect(runCli(w, ['deploy', '--env', 'dev'])).toBe(0);
    expect(runCli(w, ['deploy', '--env', 'dev', '--skip-smoke'])).toBe(0);
    const h = readHistory(w.cluster, 'todo-dev');
    expect(h.revisions.map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', 'install'],
      [2, 'deployed', 'upgrade'],
    ]);
  });

  test('a failed rollout prints the events and last logs of the failing pods, records the failure and exits 1', () => {
    const w = devWorld();
    w.cluster.rollout['deployment/todo-backend'] = 1;
    w.cluster.events = [
      { involvedObject: { kind: 'Pod', name: 'todo-backend-5d9f-abcde' }, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container migrate', lastTimestamp: '2025-06-01T12:00:05Z', count: 4 },
      { involvedObject: { kind: 'Pod', name: 'other-app-1' }, type: 'Warning', reason: 'Unrelated', message: 'not ours', lastTimestamp: '2025-06-01T12:00:01Z' },
    ];
    w.cluster.pods = [
      {
        metadata: { name: 'todo-backend-5d9f-abcde' },
        status: { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', ready: false, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } }, lastState: { terminated: { exitCode: 1 } } }] },
      },
    ];
    w.cluster.logs['todo-backend-5d9f-abcde'] = '[pod/todo-backend-5d9f-abcde/migrate] error: password authentication failed for user "todo"';
    expect(runCli(w, ['deploy', '--env', 'dev'])).toBe(1);
    const out = w.log.text;
    expect(out).toContain('Back-off restarting failed container migrate (x4)');
    expect(out).not.toContain('not ours');
    expect(out).toContain('migrate: waiting: CrashLoopBackOff back-off 40s');
    expect(out).toContain('password authentication failed for user "todo"');
    expect(out).toMatch(/ops: deploy: deployment\/todo-backend did not become ready within 300s/);
    // logs are asked for with the container prefix, all containers (the migrate init container too)
    expect(w.cluster.calls.find((c) => c.args[0] === 'logs')!.args).toEqual(['logs', 'todo-backend-5d9f-abcde', '-n', 'todo-dev', '--all-containers', '--prefix', '--tail=40']);
    // the frontend is not waited for, no smoke test, and the revision is marked failed
    expect(verbs(w.journal)).not.toContain('rollout status deployment/todo-frontend');
    expect(w.cluster.calls.some((c) => c.args[0] === 'create')).toBe(false);
    expect(readHistory(w.cluster, 'todo-dev').revisions[0]).toMatchObject({ status: 'failed', reason: 'rollout failed' });
  });

  test('a failed smoke test exits 1, prints its output and marks the revision failed', () => {
    const w = devWorld();
    w.cluster.smokePhase = 'Failed';
    w.cluster.smokeLogs = 'FAIL backend readiness http://todo-backend.todo-dev.svc.cluster.local:80/readyz 503 3ms: HTTP 503';
    expect(runCli(w, ['deploy', '--env', 'dev'])).toBe(1);
    expect(w.log.text).toContain('FAIL backend readiness');
    expect(w.log.text).toContain('ops: deploy: smoke test failed');
    expect(readHistory(w.cluster, 'todo-dev').revisions[0]).toMatchObject({ status: 'failed', reason: 'smoke test failed' });
    expect(w.cluster.objects.filter((o) => o.kind === 'Pod')).toEqual([]);
  });

  test('--dry-run applies with --dry-run=server only, records nothing and changes nothing', () => {
    const w = devWorld();
    const before = JSON.stringify(w.cluster.objects);
    expect(runCli(w, ['deploy', '--env', 'dev', '--dry-run'])).toBe(0);
    expect(mutations(w.cluster.calls)).toEqual([]);
    expect(w.cluster.calls.find((c) => c.args[0] === 'apply')!.args).toContain('--dry-run=server');
    expect(JSON.stringify(w.cluster.objects)).toBe(before);
  });

  describe('checks happen before any change', () => {
    test.each([
      ['a missing Secret', (w: World) => void (w.cluster.objects = w.cluster.objects.filter((o) => o.kind !== 'Secret')), 'Secret todo-dev/todo-secrets is missing (keys needed: migration-database-url, database-url, jwt-secret, postgres-password)'],
      ['a missing key', (w: World) => putSecret(w.cluster, 'todo-dev', 'todo-secrets', { ...DEV_SECRET, 'jwt-secret': undefined as unknown as string }), 'has no key jwt-secret (used by Deployment/todo-backend container backend env JWT_SECRET)'],
      ['a short JWT secret', (w: World) => putSecret(w.cluster, 'todo-dev', 'todo-secrets', { ...DEV_SECRET, 'jwt-secret': 'short' }), 'key jwt-secret is shorter than 32 characters'],
      ['no namespace yet', (w: World) => void (w.cluster.objects = []), 'namespace todo-dev does not exist yet, so Secret todo-secrets'],
      ['an image not loaded into minikube', (w: World) => void (w.programs.responses['minikube -p minikube image ls --format short'].stdout = `docker.io/library/todo-frontend:${TEST_TAG}\n`), `todo-backend:${TEST_TAG} is not loaded into minikube (profile minikube)\nload them: scripts/build-images --load minikube`],
      ['an unreachable cluster', (w: World) => void (w.cluster.reachable = false), 'cannot reach the Kubernetes API server of context "minikube": The connection to the server 127.0.0.1:6443 was refused'],
      ['no kubectl', (w: World) => w.programs.installed.delete('kubectl'), 'kubectl is not installed or not on PATH'],
    ])('%s: one message, exit 1, no mutation', (_what, breakIt, message) => {
      const w = devWorld();
      breakIt(w); // (putSecret drops a key given as undefined)
      expect(runCli(w, ['deploy', '--env', 'dev'])).toBe(1);
      expect(w.log.text).toContain(message);
      expect(w.log.lines.filter((l) => l.startsWith('ops: '))).toHaveLength(1);
      expect(mutations(w.cluster.calls)).toEqual([]);
    });

    test('production with the current context (not named with --context): refused, says why, nothing applied', () => {
      const w = world();
      w.cluster.context = 'prod-eu-1';
      expect(runCli(w, ['deploy', '--env', 'production'])).toBe(1);
      expect(w.log.text).toContain('refusing to use the current context "prod-eu-1" for production: name the context explicitly with --context');
      expect(mutations(w.cluster.calls)).toEqual([]);
    });
  });

  test('prune only deletes, by name AND the release selector, what an earlier revision created and this one dropped', () => {
    const w = devWorld();
    expect(runCli(w, ['deploy', '--env', 'dev', '--skip-smoke'])).toBe(0);
    // the next synth no longer has the frontend's ConfigMap and the postgres NetworkPolicy
    w.synthesizer.transform = (objs) => objs.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-postgres') && o.metadata.name !== 'todo-frontend-config');
    // something else in the namespace, without the release labels, with the same kinds
    w.cluster.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-elses', namespace: 'todo-dev', labels: { app: 'other' } } });
    w.cluster.upsert({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'team-policy', namespace: 'todo-dev' } });
    w.journal.length = 0;
    expect(runCli(w, ['deploy', '--env', 'dev', '--skip-smoke'])).toBe(0);
    const deletes = w.cluster.calls.filter((c) => c.args[0] === 'delete');
    expect(deletes.map((c) => c.args)).toEqual([
      ['delete', 'networkpolicies.networking.k8s.io', '-n', 'todo-dev', '-l', releaseSelector('dev'), '--field-selector', 'metadata.name=allow-postgres', '--ignore-not-found', '--timeout=300s'],
      ['delete', 'configmaps', '-n', 'todo-dev', '-l', releaseSelector('dev'), '--field-selector', 'metadata.name=todo-frontend-config', '--ignore-not-found', '--timeout=300s'],
    ]);
    expect(w.cluster.find('ConfigMap', 'someone-elses')).toBeDefined();
    expect(w.cluster.find('NetworkPolicy', 'team-policy')).toBeDefined();
    expect(w.cluster.find('ConfigMap', HISTORY_CONFIGMAP)).toBeDefined();
    expect(w.cluster.find('Secret', 'todo-secrets')).toBeDefined();
    expect(w.cluster.find('Namespace', 'todo-dev')).toBeDefined();
  });
});
