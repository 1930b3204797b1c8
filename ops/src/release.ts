/**
 * The release pipeline shared by `deploy` and `rollback`:
 *   preflight -> apply (server-side) -> prune -> record revision (pending) -> wait for the database,
 *   the migrations and every rollout -> smoke test -> record the outcome (deployed / failed).
 * The manifests are already synthesized (deploy) or unpacked from the history (rollback).
 */
import { releaseSelector } from '../../charts/labels';
import { BACKEND } from '@todo/contract';
import type { Ctx } from './context';
import { reportWorkloadFailure } from './diagnostics';
import { OpsError } from './errors';
import { firstLine } from './exec';
import { addRevision, nextRevision, readHistory, setStatus, writeHistory, type History, type RevisionRecord } from './history';
import { findObject, imagesOf, workloadsOf, type K8sObject, type Manifests } from './manifests';
import { preflight, type ClusterInfo } from './preflight';
import { executePrune, listReleaseObjects, planPrune } from './prune';
import { FIELD_MANAGER } from './settings';
import { runSmoke } from './smoke';

/** `kubectl apply` of a directory and its subfolders (the Namespace's first), server-side. --force-conflicts: the manifests win over fields another manager took (kubectl edit/scale, a client-side apply). */
export function applyArgs(dir: string, dryRun: boolean): string[] {
  return ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', ...(dryRun ? ['--dry-run=server'] : []), '-R', '-f', dir];
}

export function gitRevision(ctx: Pick<Ctx, 'programs'>): string {
  if (!ctx.programs.has('git')) return 'unknown';
  const rev = ctx.programs.run('git', ['rev-parse', '--short=12', 'HEAD']);
  if (rev.code !== 0) return 'unknown';
  const dirty = ctx.programs.run('git', ['status', '--porcelain', '--untracked-files=no']);
  return `${rev.stdout.trim()}${dirty.code === 0 && dirty.stdout.trim() ? '-dirty' : ''}`;
}

/** The backend image of a synth (the smoke test runs it). */
export function backendImageOf(manifests: Manifests, ctx: Ctx): string {
  const dep = findObject(manifests.objects, 'Deployment', ctx.env.names.backend);
  const c = dep?.spec?.template?.spec?.containers?.find((x: { name: string }) => x.name === BACKEND.component);
  return c?.image ?? ctx.env.images.backend;
}

/** Waits for one rollout with kubectl's own progress output. */
function waitRollout(ctx: Ctx, w: K8sObject): void {
  const ref = `${w.kind.toLowerCase()}/${w.metadata.name}`;
  const inits: string[] = (w.spec?.template?.spec?.initContainers ?? []).map((c: { name: string }) => c.name);
  ctx.log.step(
    inits.length
      ? `waiting for ${ref}: init container${inits.length > 1 ? 's' : ''} ${inits.join(', ')} (migrations) in each new pod, then the rollout (timeout ${ctx.args.timeoutSeconds}s)`
      : `waiting for ${ref} to roll out (timeout ${ctx.args.timeoutSeconds}s)`,
  );
  const r = ctx.kubectl.run(['rollout', 'status', ref, '-n', ctx.env.namespace, `--timeout=${ctx.args.timeoutSeconds}s`], { stream: 'stderr' });
  if (r.code !== 0) {
    reportWorkloadFailure(ctx, w);
    throw new OpsError(`${ref} did not become ready within ${ctx.args.timeoutSeconds}s (events and logs above)`);
  }
  for (const init of inits) {
    const logs = ctx.kubectl.run(['logs', ref, '-n', ctx.env.namespace, '-c', init, '--tail=20']);
    if (logs.code === 0 && logs.stdout.trim()) ctx.log.info(`${init} (last lines):\n${logs.stdout.trimEnd()}`);
  }
}

export interface ReleaseOptions {
  /** Default: install (no history yet) or upgrade. */
  description?: string;
  /** Already connected (rollback connects first to read the history). */
  connected?: ClusterInfo;
  skipSmoke: boolean;
  skipEntry: boolean;
}

/** Runs the pipeline. Returns the recorded revision (undefined in a dry run). Throws OpsError on failure. */
export function release(ctx: Ctx, manifests: Manifests, opts: ReleaseOptions): RevisionRecord | undefined {
  const env = ctx.env;
  const ns = env.namespace;
  const selector = releaseSelector(env.name);
  const dry = ctx.args.dryRun;

  ctx.log.step('preflight');
  preflight(ctx, manifests, opts.connected);

  let history: History = readHistory(ctx.kubectl, ns);
  const revision = nextRevision(history);
  const description = opts.description ?? (history.revisions.length ? 'upgrade' : 'install');

  ctx.log.step(`${dry ? 'dry run: ' : ''}server-side apply of ${manifests.objects.length} objects (field manager ${FIELD_MANAGER})`);
  const applied = ctx.kubectl.run(applyArgs(manifests.dir, dry));
  if (applied.stdout.trim()) ctx.log.info(applied.stdout.trimEnd());
  const record: RevisionRecord = {
    revision,
    status: 'pending',
    description: description,
    time: ctx.now().toISOString(),
    digest: manifests.digest,
    git: gitRevision(ctx),
    images: imagesOf(manifests.objects),
  };
  const save = (h: History) => {
    try {
      writeHistory(ctx.kubectl, env.name, ns, h);
    } catch (e) {
      ctx.log.warn((e as Error).message);
    }
  };
  if (applied.code !== 0) {
    if (!dry) save(addRevision(history, { ...record, status: 'failed', reason: 'apply failed' }, manifests));
    throw new OpsError(`kubectl apply failed: ${applied.stderr.trim()}`);
  }

  ctx.log.step(`${dry ? 'dry run: ' : ''}prune (objects with ${selector} that this revision no longer has)`);
  const plan = planPrune({ desired: manifests.objects, live: dry ? safeList(ctx, ns, selector) : listReleaseObjects(ctx.kubectl, ns, selector), selector, namespace: ns });
  if (plan.delete.length === 0) ctx.log.info('nothing to prune');
  executePrune(ctx, plan, selector);
  if (dry) {
    ctx.log.info(`dry run: revision ${revision} (${description}) would be recorded; no rollout waited for, no smoke test`);
    return undefined;
  }

  history = addRevision(history, record, manifests);
  writeHistory(ctx.kubectl, env.name, ns, history);
  ctx.log.info(`recorded revision ${revision} (${description}, ${manifests.digest.slice(0, 19)}, git ${record.git})`);

  const fail = (reason: string, e: unknown): never => {
    save(setStatus(history, revision, 'failed', reason));
    throw e;
  };
  try {
    for (const w of workloadsOf(manifests.objects)) waitRollout(ctx, w);
  } catch (e) {
    fail('rollout failed', e);
  }
  if (opts.skipSmoke) {
    ctx.log.info('smoke test skipped (--skip-smoke)');
  } else {
    try {
      runSmoke(ctx, { image: backendImageOf(manifests, ctx), skipEntry: opts.skipEntry });
    } catch (e) {
      fail('smoke test failed', e);
    }
  }
  history = setStatus(history, revision, 'deployed');
  writeHistory(ctx.kubectl, env.name, ns, history);
  ctx.log.step(`revision ${revision} deployed to ${ns}`);
  return history.revisions.find((r) => r.revision === revision);
}

/** In a dry run the namespace may not exist yet: nothing to prune then. */
function safeList(ctx: Ctx, ns: string, selector: string): K8sObject[] {
  const r = ctx.kubectl.run(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']);
  if (r.code !== 0) throw new OpsError(`cannot read namespace ${ns}: ${firstLine(r.stderr)}`);
  return r.stdout.trim() ? listReleaseObjects(ctx.kubectl, ns, selector) : [];
}
