/** preflight: context guard, server version, the Secret keys derived from the manifests, local images. */
import { readManifests, secretRequirements } from '../src/manifests';
import { checkContextPolicy, normalizeImage } from '../src/preflight';
import { OpsError } from '../src/errors';
import { ctxFor, fixtureDir, mutations, putSecret, runCli, TEST_TAG, world } from './fakes';

describe('production context guard', () => {
  const refused = (context: string, explicit: boolean, env: Record<string, string> = {}) => {
    try {
      checkContextPolicy('production', context, explicit, env);
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(OpsError);
      return (e as Error).message;
    }
  };
  test('the current context is refused unless named with --context', () => {
    expect(refused('prod-eu-1', false)).toBe(
      'refusing to use the current context "prod-eu-1" for production: name the context explicitly with --context, or set the expected context names in TODO_OPS_PRODUCTION_CONTEXTS',
    );
    expect(refused('prod-eu-1', true)).toBeUndefined();
  });
  test('a local cluster is refused even when named', () => {
    for (const c of ['minikube', 'kind-kind', 'docker-desktop', 'k3d-dev']) expect(refused(c, true)).toContain('it is a local cluster');
  });
  test('expected context names (TODO_OPS_PRODUCTION_CONTEXTS): only those, named or current', () => {
    const env = { TODO_OPS_PRODUCTION_CONTEXTS: 'prod-eu-1, prod-us-1' };
    expect(refused('prod-eu-1', false, env)).toBeUndefined();
    expect(refused('staging-eu', true, env)).toBe(
      'refusing to use context "staging-eu" for production: the expected contexts are prod-eu-1, prod-us-1 (ops/src/settings.ts, TODO_OPS_PRODUCTION_CONTEXTS)',
    );
  });
  test('other environments are not guarded', () => {
    expect(() => checkContextPolicy('dev', 'anything', false, {})).not.toThrow();
    expect(() => checkContextPolicy('staging', 'minikube', false, {})).not.toThrow();
  });
  test('an unknown --context is one clear message', () => {
    const w = world();
    expect(runCli(w, ['status', '--env', 'production', '--context', 'prod-typo'])).toBe(1);
    expect(w.log.text).toContain('context "prod-typo" is not in the kubeconfig');
  });
});

describe('preflight command', () => {
  function ready() {
    const w = world();
    w.cluster.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'todo-dev' } });
    putSecret(w.cluster, 'todo-dev', 'todo-secrets', { 'jwt-secret': 'j'.repeat(64), 'database-url': 'postgres://x', 'migration-database-url': 'postgres://x', 'postgres-password': 'pw' });
    w.programs.responses['minikube -p minikube image ls --format short'] = { code: 0, stdout: `docker.io/library/todo-backend:${TEST_TAG}\ndocker.io/library/todo-frontend:${TEST_TAG}\n`, stderr: '' };
    return w;
  }
  test('passes, read-only', () => {
    const w = ready();
    expect(runCli(w, ['preflight', '--env', 'dev'])).toBe(0);
    expect(w.log.text).toContain('context minikube, server v1.33.1, namespace todo-dev');
    expect(w.log.text).toContain('images present in minikube (profile minikube)');
    expect(w.log.text).toContain('preflight passed for dev');
    expect(mutations(w.cluster.calls)).toEqual([]);
  });
  test('warns outside the supported server versions', () => {
    const w = ready();
    w.cluster.serverVersion = { major: '1', minor: '29+', gitVersion: 'v1.29.4-eks' };
    expect(runCli(w, ['preflight', '--env', 'dev'])).toBe(0);
    expect(w.log.text).toContain('warning: server v1.29.4-eks is outside the supported range 1.31–1.33');
  });
  test('says what it could not check: no minikube binary, or a context that is neither minikube nor kind', () => {
    const w = ready();
    w.programs.installed.delete('minikube');
    expect(runCli(w, ['preflight', '--env', 'dev'])).toBe(0);
    expect(w.log.text).toContain(`could not check that todo-backend:${TEST_TAG}, todo-frontend:${TEST_TAG} are loaded into minikube: minikube is not on PATH`);
    const w2 = ready();
    w2.cluster.context = 'gke_dev';
    expect(runCli(w2, ['preflight', '--env', 'dev'])).toBe(0);
    expect(w2.log.text).toContain('could not check that the images are present: context "gke_dev" is neither minikube nor kind-*');
  });
  test('kind: looks into every node of the cluster', () => {
    const w = ready();
    w.cluster.context = 'kind-todo';
    w.cluster.contexts.push('kind-todo');
    w.programs.installed.add('kind').add('docker');
    w.programs.responses['kind get nodes --name todo'] = { code: 0, stdout: 'todo-control-plane\ntodo-worker\n', stderr: '' };
    const images = (tags: string[]) => ({ code: 0, stdout: JSON.stringify({ images: [{ repoTags: tags }] }), stderr: '' });
    w.programs.responses['docker exec todo-control-plane crictl images -o json'] = images([`docker.io/library/todo-backend:${TEST_TAG}`, `docker.io/library/todo-frontend:${TEST_TAG}`]);
    w.programs.responses['docker exec todo-worker crictl images -o json'] = images([`docker.io/library/todo-backend:${TEST_TAG}`]);
    expect(runCli(w, ['preflight', '--env', 'dev'])).toBe(1);
    expect(w.log.text).toContain(`todo-frontend:${TEST_TAG} is not loaded into kind node todo-worker\nload them: scripts/build-images --load kind --kind-name todo`);
  });
});

describe('custom kinds', () => {
  test('a cluster without the Gateway API and cert-manager CRDs: one message naming the kinds and what to install, nothing applied', () => {
    const w = world();
    w.cluster.context = 'kind-todo';
    w.cluster.servesCrds = false;
    expect(runCli(w, ['deploy', '--env', 'e2e'])).toBe(1);
    expect(w.log.text).toContain(
      'the cluster does not serve Certificate (cert-manager.io), ReferenceGrant (gateway.networking.k8s.io), HTTPRoute (gateway.networking.k8s.io), which the manifests of e2e use: install cert-manager (its CRDs: schemas/crds/cert-manager-v1.21.1/); the Gateway API CRDs',
    );
    expect(mutations(w.cluster.calls)).toEqual([]);
  });
});

describe('manifests', () => {
  test('the required Secret keys are derived from every secretKeyRef of the synth', () => {
    const dev = secretRequirements(readManifests(fixtureDir('dev')).objects);
    expect(dev.map((r) => [r.name, [...r.keys.keys()].sort()])).toEqual([['todo-secrets', ['database-url', 'jwt-secret', 'migration-database-url', 'postgres-password']]]);
    expect(dev[0].keys.get('postgres-password')![0].usedBy).toBe('StatefulSet/todo-postgres container postgres env POSTGRES_PASSWORD');
    const prod = secretRequirements(readManifests(fixtureDir('production')).objects);
    expect(prod.map((r) => [r.name, [...r.keys.keys()].sort()])).toEqual([['todo-secrets', ['database-url', 'jwt-secret', 'migration-database-url']]]);
  });
  test('image names as container runtimes list them', () => {
    expect(normalizeImage('todo-backend:abc')).toBe('docker.io/library/todo-backend:abc');
    expect(normalizeImage('team/todo-backend:abc')).toBe('docker.io/team/todo-backend:abc');
    expect(normalizeImage('registry.example.com/todo/todo-backend:abc')).toBe('registry.example.com/todo/todo-backend:abc');
    expect(normalizeImage('localhost:5000/todo-backend:abc')).toBe('localhost:5000/todo-backend:abc');
  });
  test('ctx helper resolves with the test tag', () => {
    expect(ctxFor(world(), ['status', '--env', 'dev']).env.images.backend).toBe(`todo-backend:${TEST_TAG}`);
  });
});
