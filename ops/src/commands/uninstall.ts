/**
 * uninstall: deletes the release's objects, each by name AND the release selector (see prune.ts).
 * Keeps the PersistentVolumeClaims (the database) and the Secrets unless --delete-data, the Namespace
 * unless --delete-namespace (which needs --delete-data: deleting a Namespace deletes what is in it),
 * and the release history unless it is deleted last (--keep-history keeps it).
 */
import { SMOKE_TEST_LABELS } from '../../../charts/config';
import { releaseLabels, releaseSelector } from '../../../charts/labels';
import type { Ctx } from '../context';
import { OpsError } from '../errors';
import { firstLine } from '../exec';
import { labelSelector } from '../manifests';
import { connect, namespaceExists } from '../preflight';
import { deleteArgs, listReleaseObjects, planPrune } from '../prune';
import { HISTORY_CONFIGMAP } from '../settings';

export function uninstallCommand(ctx: Ctx): number {
  connect(ctx);
  const ns = ctx.env.namespace;
  const selector = releaseSelector(ctx.env.name);
  const dry = ctx.args.dryRun;
  const deleteData = ctx.args.flags['delete-data'] === true;
  const deleteNamespace = ctx.args.flags['delete-namespace'] === true;
  const keepHistory = ctx.args.flags['keep-history'] === true;
  if (!namespaceExists(ctx.kubectl, ns)) {
    ctx.log.out(`${ctx.env.name} is not installed: namespace ${ns} does not exist`);
    return 0;
  }
  const run = (what: string, args: string[]) => {
    if (dry) return void ctx.log.info(`would delete ${what}`);
    const r = ctx.kubectl.run(args);
    if (r.code !== 0) throw new OpsError(`deleting ${what} failed: ${firstLine(r.stderr)}`);
    ctx.log.info(`deleted ${what}`);
  };
  const t = ctx.args.timeoutSeconds;

  // Everything the release owns except the Namespace, PVCs, Secrets and the history: a prune against an empty synth.
  const plan = planPrune({ desired: [], live: listReleaseObjects(ctx.kubectl, ns, selector), selector, namespace: ns });
  ctx.log.step(`${dry ? 'dry run: ' : ''}deleting ${plan.delete.length} objects of ${ctx.env.name} (${selector})`);
  for (const o of plan.delete) run(`${o.kind.kind}/${o.name}`, deleteArgs({ resource: o.kind.resource, name: o.name, namespace: ns }, selector, t));

  const smokeSelector = labelSelector({ ...SMOKE_TEST_LABELS, 'app.kubernetes.io/instance': releaseLabels(ctx.env.name)['app.kubernetes.io/instance'] });
  if (!dry) ctx.kubectl.run(['delete', 'pods', '-n', ns, '-l', smokeSelector, '--ignore-not-found', '--wait=false']);

  const kept: string[] = [];
  const listNames = (resource: string) => {
    const r = ctx.kubectl.run(['get', resource, '-n', ns, '-l', selector, '-o', 'name']);
    return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
  };
  const pvcs = listNames('persistentvolumeclaims');
  const secrets = listNames('secrets');
  if (deleteData) {
    for (const p of pvcs) run(p, ['delete', 'persistentvolumeclaims', '-n', ns, '-l', selector, '--field-selector', `metadata.name=${p.split('/')[1]}`, '--ignore-not-found', `--timeout=${t}s`]);
    for (const s of secrets) run(s, ['delete', 'secrets', '-n', ns, '-l', selector, '--field-selector', `metadata.name=${s.split('/')[1]}`, '--ignore-not-found', `--timeout=${t}s`]);
  } else {
    kept.push(...pvcs.map((p) => `${p} (database data)`), ...secrets);
  }
  // A Secret without the release labels (External Secrets, Sealed Secrets, kubectl create) is never deleted.
  const unlabelled = ctx.kubectl.run(['get', 'secret', ctx.env.secretName, '-n', ns, '--ignore-not-found', '-o', 'name']);
  const name = unlabelled.stdout.trim();
  if (name && !secrets.includes(name)) kept.push(`${name} (not created by ops secrets: never deleted by the tool)`);

  if (keepHistory) kept.push(`configmap/${HISTORY_CONFIGMAP} (--keep-history)`);
  else run(`configmap/${HISTORY_CONFIGMAP}`, deleteArgs({ resource: 'configmaps', name: HISTORY_CONFIGMAP, namespace: ns }, selector, t));

  if (deleteNamespace) {
    run(`namespace/${ns}`, ['delete', 'namespaces', '-l', selector, '--field-selector', `metadata.name=${ns}`, '--ignore-not-found', `--timeout=${t}s`]);
  } else {
    kept.push(`namespace/${ns}`);
  }
  if (kept.length) {
    ctx.log.out(`kept: ${kept.join(', ')}`);
    const hints = [...(!deleteData && (pvcs.length || secrets.length) ? ['--delete-data deletes the PVCs and the Secrets'] : []), ...(!deleteNamespace ? ['--delete-namespace (with --delete-data) the Namespace'] : [])];
    if (hints.length) ctx.log.out(`(${hints.join('; ')})`);
  }
  ctx.log.out(`${dry ? 'dry run: nothing deleted' : `${ctx.env.name} uninstalled`}`);
  return 0;
}
