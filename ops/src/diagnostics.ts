/**
 * What the tool prints when something does not become ready: the events of the object and of its
 * children (ReplicaSets, Pods: PSA rejections show on the ReplicaSet, image pulls on the Pod), the
 * state of each pod's containers, and the last log lines of every container of its pods.
 */
import type { Ctx } from './context';
import { labelSelector, type K8sObject } from './manifests';

export const LOG_TAIL = 40;

/** One line per container that is not ready: waiting reason/message, last termination. */
export function describePod(pod: any): string[] {
  const lines: string[] = [];
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []).map((s: any) => ({ ...s, init: true })),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const s of statuses) {
    const w = s.state?.waiting;
    const t = s.state?.terminated ?? s.lastState?.terminated;
    if (w) lines.push(`  ${s.name}: waiting: ${w.reason ?? ''}${w.message ? ` ${w.message}` : ''}`);
    else if (t && t.exitCode !== 0) lines.push(`  ${s.name}: terminated: ${t.reason ?? ''} exit code ${t.exitCode}`);
    // A running init container is never `ready` (it has no readiness probe): it has not finished yet.
    else if (s.init && s.state?.running) lines.push(`  ${s.name}: init container still running (not finished; its logs are below)`);
    else if (s.ready === false && s.state?.running) lines.push(`  ${s.name}: running, not ready (readiness probe failing?)`);
  }
  for (const c of pod.status?.conditions ?? []) {
    if (c.status !== 'True' && c.message) lines.push(`  condition ${c.type}: ${c.reason ?? ''} ${c.message}`);
  }
  return lines;
}

/** Events whose object is `name` or one of its children (`name-<hash>`, `name-<hash>-<id>`, `name-0`). */
export function relatedEvents(events: any[], name: string): any[] {
  return events
    .filter((e) => {
      const n: string = e.involvedObject?.name ?? e.regarding?.name ?? '';
      return n === name || n.startsWith(`${name}-`);
    })
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')));
}

export function formatEvent(e: any): string {
  const obj = `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`;
  return `  ${e.lastTimestamp ?? e.eventTime ?? ''} ${e.type ?? ''} ${e.reason ?? ''} ${obj}: ${String(e.message ?? '').trim()}${e.count > 1 ? ` (x${e.count})` : ''}`;
}

/** Prints the events, the pod states and the last logs of a workload (Deployment or StatefulSet). */
export function reportWorkloadFailure(ctx: Ctx, workload: K8sObject): void {
  const ns = ctx.env.namespace;
  const name = workload.metadata.name;
  const log = ctx.log;
  log.info(`--- events of ${workload.kind}/${name} and its ReplicaSets/Pods`);
  const ev = ctx.kubectl.run(['get', 'events', '-n', ns, '-o', 'json']);
  if (ev.code === 0) {
    const events = relatedEvents(JSON.parse(ev.stdout || '{"items":[]}').items ?? [], name).slice(-25);
    log.info(events.length ? events.map(formatEvent).join('\n') : '  (no events)');
  } else {
    log.info(`  (cannot read events: ${ev.stderr.trim()})`);
  }
  const matchLabels = workload.spec?.selector?.matchLabels;
  if (!matchLabels) return;
  const pods = ctx.kubectl.run(['get', 'pods', '-n', ns, '-l', labelSelector(matchLabels), '-o', 'json']);
  if (pods.code !== 0) return;
  const items: any[] = JSON.parse(pods.stdout || '{"items":[]}').items ?? [];
  if (items.length === 0) log.info('  (no pods: see the ReplicaSet/StatefulSet events above, e.g. a Pod Security or quota rejection)');
  for (const pod of items) {
    const podName: string = pod.metadata.name;
    log.info(`--- pod ${podName}: ${pod.status?.phase ?? 'unknown'}`);
    const lines = describePod(pod);
    if (lines.length) log.info(lines.join('\n'));
    const logs = ctx.kubectl.run(['logs', podName, '-n', ns, '--all-containers', '--prefix', `--tail=${LOG_TAIL}`]);
    const text = (logs.stdout || logs.stderr).trim();
    log.info(`--- last ${LOG_TAIL} log lines of ${podName}\n${text || '(no logs)'}`);
  }
}
