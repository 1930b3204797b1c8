/**
 * The pods of one namespace under load, as the node sees them, for test/cluster/e2e.sh:
 *
 *   tsx test/cluster/limits.ts watch --namespace NS --kubeconfig F --containerd SOCK --marks FILE --out R.json
 *     until SIGTERM/SIGINT: watches the namespace's pods (`kubectl get pods --watch`: every restart,
 *     every container that ends OOMKilled, of pods that are gone by the end too) and every second
 *     reads each container's memory cgroup on the node, found through containerd (`ctr containers
 *     info`: the cgroupsPath kubelet gave it): the peak (cgroup v2 memory.peak, v1
 *     memory.max_usage_in_bytes), the limit and the OOM-kill counter (v2 memory.events, v1
 *     memory.oom_control: `oom_kill`), of the container's cgroup and of its pod's; and the node's
 *     kernel log (/dev/kmsg) for the OOM killer's `oom-kill:... task_memcg=` records of these pods.
 *     Attributes what it sees to the phases of the marks file (test/cluster/phases.ts). Writes R.json
 *     and prints one line per phase: `phase NAME restarts=N oom_kills=N peak_pct=N | ...`.
 *
 * The three OOM sources complement each other: the pod status names a kill of the container's main
 * process only; a killed child process leaves the container running and shows in the cgroup counter
 * and the kernel log only; and a container whose main process is killed takes its cgroup (and the
 * counter, v1 counts in the victim's cgroup) away within milliseconds, before the next reading.
 * A container's peak is since it started (the kernel's counter), read last while the phase ran.
 * Short-lived containers (an init container that runs for a second) may end between two readings.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PhaseClock, phaseOrder } from './phases';

const { positionals, values: o } = parseArgs({
  allowPositionals: true,
  options: {
    namespace: { type: 'string' },
    kubeconfig: { type: 'string' },
    containerd: { type: 'string' },
    marks: { type: 'string' },
    out: { type: 'string' },
    'every-ms': { type: 'string', default: '1000' },
  },
});
if (positionals[0] !== 'watch' || !o.namespace || !o.kubeconfig || !o.containerd || !o.out) {
  console.error('usage: limits.ts watch --namespace NS --kubeconfig FILE --containerd SOCKET --out R.json [--marks FILE] [--every-ms 1000]');
  process.exit(2);
}
const CGROUP_ROOT = '/sys/fs/cgroup';
const V2 = fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));
const clock = new PhaseClock(o.marks);

/** One reading of a memory cgroup: bytes, and the OOM-kill counter. */
interface Reading {
  peak: number;
  limit: number;
  oomKills: number;
}

function readCgroup(cgroupsPath: string): Reading | undefined {
  const dir = V2 ? path.join(CGROUP_ROOT, cgroupsPath) : path.join(CGROUP_ROOT, 'memory', cgroupsPath);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const counter = (text: string) => Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  try {
    if (V2) {
      const max = read('memory.max').trim();
      return { peak: Number(read('memory.peak')), limit: max === 'max' ? Infinity : Number(max), oomKills: counter(read('memory.events')) };
    }
    const limit = Number(read('memory.limit_in_bytes'));
    return { peak: Number(read('memory.max_usage_in_bytes')), limit: limit >= 2 ** 62 ? Infinity : limit, oomKills: counter(read('memory.oom_control')) };
  } catch {
    return undefined; // the cgroup is gone (the container ended)
  }
}

interface Tracked {
  pod: string;
  container: string;
  id: string;
  cgroup?: string;
  /** Last reading per phase (the peak is monotonic: the last reading is the phase's peak so far). */
  byPhase: Record<string, Reading>;
  last?: Reading;
}
const containers = new Map<string, Tracked>(); // by container id
const podCgroups = new Map<string, { pod: string; dir: string; last?: Reading; byPhase: Record<string, Reading> }>(); // by pod uid
interface PodEvent {
  at: string;
  phase: string;
  pod: string;
  container: string;
  what: string;
}
const events: PodEvent[] = [];
const restartSeen = new Map<string, number>(); // pod uid/container -> restartCount
const podNames = new Map<string, string>(); // pod uid -> name
const oomSeen = new Set<string>(); // container ids that ended OOMKilled

function note(pod: string, container: string, what: string) {
  events.push({ at: new Date().toISOString(), phase: clock.now(), pod, container, what });
}

function onPod(p: any) {
  if (p?.kind === 'List') return (p.items ?? []).forEach(onPod);
  if (p?.kind !== 'Pod') return;
  const name = p.metadata.name as string;
  const uid = p.metadata.uid as string;
  podNames.set(uid, name);
  for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const key = `${uid}/${cs.name}`;
    const before = restartSeen.get(key) ?? 0;
    if (cs.restartCount > before) note(name, cs.name, `restarted (count ${cs.restartCount}, last ended: ${cs.lastState?.terminated?.reason ?? 'unknown'} exit ${cs.lastState?.terminated?.exitCode ?? '?'})`);
    restartSeen.set(key, Math.max(before, cs.restartCount ?? 0));
    for (const t of [cs.state?.terminated, cs.lastState?.terminated]) {
      if (t?.reason === 'OOMKilled' && !oomSeen.has(t.containerID ?? key + t.finishedAt)) {
        oomSeen.add(t.containerID ?? key + t.finishedAt);
        note(name, cs.name, `OOMKilled (exit ${t.exitCode}) at ${t.finishedAt}`);
      }
    }
    const id = String(cs.containerID ?? '').replace(/^\w+:\/\//, '');
    if (id && !containers.has(id)) {
      const t: Tracked = { pod: name, container: cs.name, id, byPhase: {} };
      containers.set(id, t);
      resolveCgroup(t, uid);
    }
  }
}

/** The container's cgroup path as containerd created it (kubelet's cgroupfs layout: .../pod<uid>/<id>). */
function resolveCgroup(t: Tracked, uid: string) {
  execFile('ctr', ['--address', o.containerd!, '--namespace', 'k8s.io', 'containers', 'info', t.id], { maxBuffer: 16 << 20 }, (err, stdout) => {
    if (err) return;
    const p = JSON.parse(stdout)?.Spec?.linux?.cgroupsPath as string | undefined;
    if (!p || p.includes(':')) return; // a systemd-driver path (slice:prefix:name) is not read here
    t.cgroup = p;
    if (!podCgroups.has(uid)) podCgroups.set(uid, { pod: t.pod, dir: path.dirname(p), byPhase: {} });
  });
}

/** `kubectl get pods --watch -o json`: a stream of JSON objects, parsed as they complete; restarted if it ends. */
function watchPods(): void {
  const child = spawn('kubectl', ['--kubeconfig', o.kubeconfig!, '--request-timeout=0', 'get', 'pods', '-n', o.namespace!, '--watch', '-o', 'json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let depth = 0, inString = false, escaped = false, start = -1, scanned = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = scanned; i < buf.length; i++) {
      const c = buf[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') {
        if (depth++ === 0) start = i;
      } else if (c === '}' && --depth === 0) {
        onPod(JSON.parse(buf.slice(start, i + 1)));
        buf = buf.slice(i + 1);
        i = -1;
      }
    }
    scanned = buf.length;
  });
  child.on('exit', () => {
    if (!stopping) setTimeout(watchPods, 500);
  });
  watchers.push(child);
}
const watchers: ReturnType<typeof spawn>[] = [];
let stopping = false;

/** The node's kernel log, read without blocking from where it was when the watch began. */
let kmsg: number | undefined;
let kmsgProblem = '';
try {
  kmsg = fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  readKernelLog(false);
} catch (e) {
  kmsgProblem = `kernel log not read (${(e as Error).message})`;
}
function readKernelLog(record: boolean) {
  if (kmsg === undefined) return;
  const buf = Buffer.alloc(16384);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(kmsg, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') continue; // records overwritten meanwhile: go on with the next
      return; // EAGAIN: nothing new
    }
    if (!record) continue;
    const m = /oom-kill:.*?task_memcg=([^,]*),task=([^,]*),pid=(\d+)/.exec(buf.toString('utf8', 0, n));
    const uid = m && /pod([0-9a-f-]{36})/.exec(m[1].replace(/_/g, '-'))?.[1];
    if (m && uid && podNames.has(uid)) {
      const container = containers.get(path.basename(m[1]).replace(/^cri-containerd-|\.scope$/g, ''))?.container ?? '?';
      note(podNames.get(uid)!, container, `OOM kill in the kernel log: process ${m[2]} (pid ${m[3]}) in ${m[1]}`);
    }
  }
}

function sample() {
  const phase = clock.now();
  readKernelLog(true);
  for (const t of containers.values()) {
    if (!t.cgroup) continue;
    const r = readCgroup(t.cgroup);
    if (!r) continue;
    t.last = r;
    t.byPhase[phase] = r;
  }
  for (const pc of podCgroups.values()) {
    const r = readCgroup(pc.dir);
    if (!r) continue;
    pc.last = r;
    pc.byPhase[phase] = r;
  }
}

const mib = (b: number) => (b === Infinity ? 'no limit' : `${(b / 2 ** 20).toFixed(1)} MiB`);

function report() {
  const order = [...new Set([...phaseOrder(clock.all()), ...events.map((e) => e.phase), ...[...containers.values()].flatMap((t) => Object.keys(t.byPhase))])];
  const phases: Record<string, unknown> = {};
  /** OOM kills the cgroups counted during a phase: the rise of each counter since the reading before (0 before the first). */
  const rise = (byPhase: Record<string, Reading>, p: string) => {
    const i = order.indexOf(p);
    const prev = order.slice(0, i).reverse().map((q) => byPhase[q]).find(Boolean);
    return byPhase[p] ? byPhase[p].oomKills - (prev?.oomKills ?? 0) : 0;
  };
  const lines: string[] = [];
  for (const p of order) {
    const alive = [...containers.values()].filter((t) => t.byPhase[p]);
    const restarts = events.filter((e) => e.phase === p && e.what.startsWith('restarted')).length;
    const oomStatus = events.filter((e) => e.phase === p && e.what.startsWith('OOMKilled')).length;
    const oomKernel = events.filter((e) => e.phase === p && e.what.startsWith('OOM kill in the kernel log')).length;
    // v2's memory.events of the pod counts its containers' kills too; v1 counts each in the cgroup it happened in
    const oomCgroup = (V2 ? 0 : alive.reduce((n, t) => n + rise(t.byPhase, p), 0)) + [...podCgroups.values()].reduce((n, pc) => n + rise(pc.byPhase, p), 0);
    const peaks = alive.map((t) => ({ pod: t.pod, container: t.container, peak: t.byPhase[p].peak, limit: t.byPhase[p].limit }));
    const byName = new Map<string, typeof peaks>();
    for (const x of peaks) byName.set(x.container, [...(byName.get(x.container) ?? []), x]);
    const summary = [...byName.entries()]
      .map(([name, xs]) => {
        const top = xs.reduce((a, b) => (b.peak > a.peak ? b : a));
        const pct = top.limit === Infinity ? '' : ` (${Math.round((100 * top.peak) / top.limit)} %)`;
        return `${name} ×${xs.length}: peak ${mib(top.peak)} of ${mib(top.limit)}${pct}`;
      })
      .join('; ');
    const maxPct = Math.max(0, ...peaks.filter((x) => x.limit !== Infinity).map((x) => Math.round((100 * x.peak) / x.limit)));
    phases[p] = { restarts, oomKills: { podStatus: oomStatus, cgroupEvents: oomCgroup, kernelLog: oomKernel }, containers: peaks, events: events.filter((e) => e.phase === p) };
    const ooms = Math.max(oomStatus, oomCgroup, oomKernel);
    const evs = events.filter((e) => e.phase === p).map((e) => `${e.pod}/${e.container} ${e.what}`);
    lines.push(
      `phase ${p} restarts=${restarts} oom_kills=${ooms} peak_pct=${maxPct} | restarts ${restarts}, OOM kills ${ooms} (pod status ${oomStatus}, cgroup counters ${oomCgroup}, kernel log ${kmsgProblem || oomKernel}); ${summary || 'no container sampled'}${evs.length ? `; ${evs.join('; ')}` : ''}`,
    );
  }
  fs.writeFileSync(o.out!, JSON.stringify({ cgroup: V2 ? 'v2' : 'v1', kernelLog: kmsgProblem || 'read', phases }, null, 2));
  for (const l of lines) console.log(l);
}

watchPods();
const timer = setInterval(sample, Number(o['every-ms']));
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  sample();
  for (const w of watchers) w.kill();
  report();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
