/** preflight, diff, deploy, smoke, status, history, rollback, image-scan. */
import { releaseSelector } from '../../../charts/labels';
import type { Ctx } from '../context';
import { OpsError } from '../errors';
import { firstLine } from '../exec';
import { currentRevision, formatHistory, readHistory, rollbackTarget, unpackManifests } from '../history';
import { workloadsOf } from '../manifests';
import { connect, namespaceExists, preflight } from '../preflight';
import { listReleaseObjects, planPrune } from '../prune';
import { release } from '../release';
import { FIELD_MANAGER } from '../settings';
import { runningBackendImage, runSmoke } from '../smoke';
import { MANAGED_KINDS } from '../resources';

export function preflightCommand(ctx: Ctx): number {
  ctx.log.step(`synthesizing ${ctx.env.name}`);
  const manifests = ctx.synthesizer.synth(ctx.env.name);
  preflight(ctx, manifests);
  ctx.log.out(`preflight passed for ${ctx.env.name}`);
  return 0;
}

export function diffCommand(ctx: Ctx): number {
  ctx.log.step(`synthesizing ${ctx.env.name}`);
  const manifests = ctx.synthesizer.synth(ctx.env.name);
  connect(ctx);
  const r = ctx.kubectl.run(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-R', '-f', manifests.dir], { stream: 'stdout' });
  // kubectl diff: 0 no differences, 1 differences, >1 an error.
  if (r.code > 1) throw new OpsError(`kubectl diff failed${r.stderr ? `: ${firstLine(r.stderr)}` : ' (its error is above)'}`);
  ctx.log.out(r.code === 0 ? 'no differences in the applied objects' : 'differences above (- live, + this synth)');
  const ns = ctx.env.namespace;
  if (namespaceExists(ctx.kubectl, ns)) {
    const selector = releaseSelector(ctx.env.name);
    const plan = planPrune({ desired: manifests.objects, live: listReleaseObjects(ctx.kubectl, ns, selector), selector, namespace: ns });
    ctx.log.out(plan.delete.length ? `deploy would prune: ${plan.delete.map((t) => `${t.kind.kind}/${t.name}`).join(', ')}` : 'deploy would prune nothing');
  } else {
    ctx.log.out(`namespace ${ns} does not exist: deploy would install`);
  }
  return 0;
}

export function deployCommand(ctx: Ctx): number {
  ctx.log.step(`synthesizing ${ctx.env.name}`);
  const manifests = ctx.synthesizer.synth(ctx.env.name);
  ctx.log.info(`${manifests.objects.length} objects, ${manifests.digest}`);
  release(ctx, manifests, { skipSmoke: ctx.args.flags['skip-smoke'] === true, skipEntry: ctx.args.flags['skip-entry'] === true });
  return 0;
}

export function smokeCommand(ctx: Ctx): number {
  connect(ctx);
  runSmoke(ctx, { image: runningBackendImage(ctx), skipEntry: ctx.args.flags['skip-entry'] === true });
  return 0;
}

export function statusCommand(ctx: Ctx): number {
  const info = connect(ctx);
  const ns = ctx.env.namespace;
  if (!namespaceExists(ctx.kubectl, ns)) {
    ctx.log.out(`${ctx.env.name}: not installed (namespace ${ns} does not exist) [context ${info.context}]`);
    return 0;
  }
  const history = readHistory(ctx.kubectl, ns);
  const current = currentRevision(history);
  const latest = history.revisions[history.revisions.length - 1];
  ctx.log.out(
    `${ctx.env.name} in ${ns} [context ${info.context}]: ` +
      (current ? `revision ${current.revision} deployed ${current.time} (${current.description}, git ${current.git})` : 'no deployed revision recorded') +
      (latest && latest !== current ? `; latest revision ${latest.revision} is ${latest.status}` : ''),
  );
  const selector = releaseSelector(ctx.env.name);
  ctx.log.out('\nobjects:');
  ctx.kubectl.run(['get', MANAGED_KINDS.map((k) => k.resource).join(','), '-n', ns, '-l', selector], { stream: 'stdout' });
  ctx.log.out('\nrollouts:');
  for (const w of workloadsOf(listReleaseObjects(ctx.kubectl, ns, selector, MANAGED_KINDS.filter((k) => k.group === 'apps')))) {
    const r = ctx.kubectl.run(['rollout', 'status', `${w.kind.toLowerCase()}/${w.metadata.name}`, '-n', ns, '--watch=false']);
    ctx.log.out(`  ${w.kind}/${w.metadata.name}: ${(r.stdout || r.stderr).trim()}`);
  }
  ctx.log.out('\npods:');
  ctx.kubectl.run(['get', 'pods', '-n', ns, '-l', selector, '-o', 'wide'], { stream: 'stdout' });
  return 0;
}

export function historyCommand(ctx: Ctx): number {
  connect(ctx);
  const history = readHistory(ctx.kubectl, ctx.env.namespace);
  if (ctx.args.flags.output === 'json') ctx.log.out(JSON.stringify(history.revisions, null, 2));
  else ctx.log.out(history.revisions.length ? formatHistory(history) : `no revisions recorded in ${ctx.env.namespace}`);
  return 0;
}

export function rollbackCommand(ctx: Ctx): number {
  const connected = connect(ctx);
  const history = readHistory(ctx.kubectl, ctx.env.namespace);
  const to = ctx.args.flags['to-revision'];
  const target = rollbackTarget(history, to === undefined ? undefined : Number(to));
  ctx.log.step(`rolling back to revision ${target.revision} (${target.description}, ${target.time}, git ${target.git})`);
  const dir = ctx.synthesizer.tempDir('todo-ops-rollback-');
  const manifests = unpackManifests(history.manifests.get(target.revision)!, dir);
  release(ctx, manifests, {
    description: `rollback to ${target.revision}`,
    connected,
    skipSmoke: ctx.args.flags['skip-smoke'] === true,
    skipEntry: ctx.args.flags['skip-entry'] === true,
  });
  return 0;
}

export function imageScanCommand(ctx: Ctx): number {
  const images = [ctx.env.images.backend, ctx.env.images.frontend];
  if (!ctx.programs.has('trivy')) {
    const msg = `trivy is not installed: ${images.join(' and ')} were not scanned (install it: https://trivy.dev/latest/getting-started/installation/)`;
    if (ctx.args.flags.require) throw new OpsError(msg);
    ctx.log.out(`notice: ${msg}`);
    return 0;
  }
  const severity = typeof ctx.args.flags.severity === 'string' ? ctx.args.flags.severity : 'HIGH,CRITICAL';
  const failed: string[] = [];
  for (const image of images) {
    ctx.log.step(`trivy image ${image} (fails on ${severity})`);
    const r = ctx.programs.run('trivy', ['image', '--severity', severity, '--exit-code', '1', '--no-progress', image], { stream: 'stdout' });
    if (r.code !== 0) failed.push(image);
  }
  if (failed.length) throw new OpsError(`trivy found ${severity} vulnerabilities in (or could not scan) ${failed.join(', ')}`);
  ctx.log.out(`no ${severity} vulnerabilities in ${images.join(', ')}`);
  return 0;
}
