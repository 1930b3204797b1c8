/** history and rollback: which revision is chosen, and that its stored manifests are what is re-applied. */
import fs from 'node:fs';
import path from 'node:path';
import { addRevision, emptyHistory, historyConfigMap, parseHistory, readHistory, rollbackTarget, setStatus, type RevisionRecord } from '../src/history';
import { manifestsFromFiles } from '../src/manifests';
import { HISTORY_MAX } from '../src/settings';
import { putSecret, runCli, TEST_TAG, world, type World } from './fakes';

const rec = (revision: number, status: RevisionRecord['status']): RevisionRecord => ({
  revision,
  status,
  description: 'upgrade',
  time: '2025-06-01T12:00:00Z',
  digest: `sha256:${String(revision).repeat(64).slice(0, 64)}`,
  git: 'abc',
  images: [],
});
const m = manifestsFromFiles('/x', [{ name: '00.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' }]);
const historyOf = (...recs: RevisionRecord[]) => recs.reduce((h, r) => addRevision(h, r, m), emptyHistory());

describe('rollbackTarget', () => {
  test('after a good upgrade: the revision before it', () => {
    expect(rollbackTarget(historyOf(rec(1, 'superseded'), rec(2, 'superseded'), rec(3, 'deployed'))).revision).toBe(2);
  });
  test('after a failed upgrade: the last good one (the one still serving)', () => {
    expect(rollbackTarget(historyOf(rec(1, 'superseded'), rec(2, 'deployed'), rec(3, 'failed'))).revision).toBe(2);
  });
  test('skips failed revisions in between', () => {
    expect(rollbackTarget(historyOf(rec(1, 'superseded'), rec(2, 'failed'), rec(3, 'deployed'))).revision).toBe(1);
  });
  test('--to-revision picks that one', () => {
    expect(rollbackTarget(historyOf(rec(1, 'superseded'), rec(2, 'superseded'), rec(3, 'deployed')), 1).revision).toBe(1);
  });
  test('clear errors', () => {
    expect(() => rollbackTarget(emptyHistory())).toThrow('no recorded revisions');
    expect(() => rollbackTarget(historyOf(rec(1, 'deployed')))).toThrow('no successful revision before revision 1');
    expect(() => rollbackTarget(historyOf(rec(1, 'deployed')), 7)).toThrow('revision 7 is not in the history (recorded: 1)');
  });
});

describe('history', () => {
  test('round-trips through the ConfigMap and keeps the last HISTORY_MAX revisions with their manifests', () => {
    let h = emptyHistory();
    for (let i = 1; i <= HISTORY_MAX + 3; i++) h = setStatus(addRevision(h, rec(i, 'pending'), m), i, 'deployed');
    const back = parseHistory(historyConfigMap('dev', 'todo-dev', h));
    expect(back.revisions.map((r) => r.revision)).toEqual(Array.from({ length: HISTORY_MAX }, (_, i) => i + 4));
    expect([...back.manifests.keys()].sort((a, b) => a - b)).toEqual(back.revisions.map((r) => r.revision));
    expect(back.revisions.filter((r) => r.status === 'deployed').map((r) => r.revision)).toEqual([HISTORY_MAX + 3]);
  });
});

describe('rollback command', () => {
  function twoRevisions(): World {
    const w = world();
    putSecret(w.cluster, 'todo-dev', 'todo-secrets', { 'jwt-secret': 'j'.repeat(64), 'database-url': 'postgres://x', 'migration-database-url': 'postgres://x', 'postgres-password': 'pw' });
    w.cluster.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'todo-dev' } });
    w.programs.responses['minikube -p minikube image ls --format short'] = { code: 0, stdout: `todo-backend:${TEST_TAG}\ntodo-frontend:${TEST_TAG}\ntodo-backend:v2\n`, stderr: '' };
    expect(runCli(w, ['deploy', '--env', 'dev', '--skip-smoke'])).toBe(0);
    // revision 2: a new backend image and one ConfigMap less
    w.synthesizer.transform = (objs) =>
      objs
        .filter((o) => o.metadata.name !== 'todo-postgres-config')
        .map((o) => (o.kind === 'Deployment' && o.metadata.name === 'todo-backend' ? JSON.parse(JSON.stringify(o).replaceAll(`todo-backend:${TEST_TAG}`, 'todo-backend:v2')) : o));
    expect(runCli(w, ['deploy', '--env', 'dev', '--skip-smoke'])).toBe(0);
    expect(w.cluster.find('ConfigMap', 'todo-postgres-config')).toBeUndefined();
    w.journal.length = 0;
    return w;
  }

  test('re-applies the previous revision’s stored manifests (not a new synth), prunes against them, records a new revision', () => {
    const w = twoRevisions();
    expect(runCli(w, ['rollback', '--env', 'dev', '--skip-smoke'])).toBe(0);
    expect(w.journal.some((c) => c.program === 'synth')).toBe(false);
    const apply = w.cluster.calls.find((c) => c.args[0] === 'apply' && c.args.at(-1) !== '-')!;
    const dir = apply.args.at(-1)!;
    expect(apply.args.slice(0, 4)).toEqual(['apply', '--server-side', '--field-manager=todo-ops', '--force-conflicts']);
    expect(path.basename(dir)).toMatch(/^todo-ops-rollback-/);
    expect(fs.existsSync(dir)).toBe(false); // cleaned up afterwards
    const backend = w.cluster.find('Deployment', 'todo-backend')!;
    expect(backend.spec.template.spec.containers[0].image).toBe(`todo-backend:${TEST_TAG}`);
    expect(w.cluster.find('ConfigMap', 'todo-postgres-config')).toBeDefined();
    const h = readHistory(w.cluster, 'todo-dev');
    expect(h.revisions.map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', 'install'],
      [2, 'superseded', 'upgrade'],
      [3, 'deployed', 'rollback to 1'],
    ]);
    expect(h.revisions[2].digest).toBe(h.revisions[0].digest);
  });

  test('history prints the revisions', () => {
    const w = twoRevisions();
    expect(runCli(w, ['history', '--env', 'dev'])).toBe(0);
    expect(w.log.text).toMatch(/REVISION\s+UPDATED\s+STATUS/);
    expect(w.log.text).toMatch(/\n1\s+2025-06-01T12:00:00.000Z\s+superseded\s+install/);
    expect(w.log.text).toMatch(/\n2\s+\S+\s+deployed\s+upgrade/);
  });
});
