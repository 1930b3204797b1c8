/**
 * Release history: the ConfigMap todo-release-history in the environment's namespace. Each revision
 * has a metadata entry `revision-<n>.json` (data) and its full manifests, gzipped, in
 * `revision-<n>.manifests.json.gz` (binaryData), so that `rollback` can re-apply exactly what that
 * revision applied (the manifests contain no secret values: Secrets are never synthesized).
 * The latest HISTORY_MAX revisions are kept (about 4 KiB each; a ConfigMap holds 1 MiB).
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { releaseLabels } from '../../charts/labels';
import { OpsError } from './errors';
import { firstLine, type Kubectl } from './exec';
import { manifestsFromFiles, type K8sObject, type Manifests } from './manifests';
import { FIELD_MANAGER, HISTORY_CONFIGMAP, HISTORY_MAX } from './settings';

export type RevisionStatus = 'pending' | 'deployed' | 'failed' | 'superseded';

export interface RevisionRecord {
  revision: number;
  status: RevisionStatus;
  /** install, upgrade, rollback to N */
  description: string;
  /** ISO time the revision was applied. */
  time: string;
  /** sha256 of the manifests. */
  digest: string;
  /** git revision of the working tree that synthesized it ("-dirty" when it had uncommitted changes). */
  git: string;
  images: string[];
  /** Why it failed, when it did. */
  reason?: string;
}

export interface History {
  revisions: RevisionRecord[];
  /** revision -> base64 of the gzipped JSON {files:[{name,text}]} */
  manifests: Map<number, string>;
}

const META = /^revision-(\d+)\.json$/;
const DATA = /^revision-(\d+)\.manifests\.json\.gz$/;

export function emptyHistory(): History {
  return { revisions: [], manifests: new Map() };
}

export function parseHistory(cm: K8sObject | undefined): History {
  const h = emptyHistory();
  if (!cm) return h;
  for (const [k, v] of Object.entries<string>(cm.data ?? {})) {
    if (!META.test(k)) continue;
    try {
      h.revisions.push(JSON.parse(v) as RevisionRecord);
    } catch {
      /* a damaged entry is skipped */
    }
  }
  for (const [k, v] of Object.entries<string>(cm.binaryData ?? {})) {
    const m = DATA.exec(k);
    if (m) h.manifests.set(Number(m[1]), v);
  }
  h.revisions.sort((a, b) => a.revision - b.revision);
  return h;
}

export function readHistory(kubectl: Kubectl, namespace: string): History {
  const r = kubectl.run(['get', 'configmap', HISTORY_CONFIGMAP, '-n', namespace, '--ignore-not-found', '-o', 'json']);
  if (r.code !== 0) throw new OpsError(`cannot read the release history (configmap ${namespace}/${HISTORY_CONFIGMAP}): ${firstLine(r.stderr)}`);
  return parseHistory(r.stdout.trim() ? (JSON.parse(r.stdout) as K8sObject) : undefined);
}

export function packManifests(m: Manifests): string {
  return gzipSync(JSON.stringify({ files: m.files.map((f) => ({ name: f.name, text: f.text })) })).toString('base64');
}

/** Writes a stored revision's files into `dir` (for kubectl apply -R -f dir) and returns them parsed. */
export function unpackManifests(packed: string, dir: string): Manifests {
  const { files } = JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')) as { files: { name: string; text: string }[] };
  for (const f of files) {
    // a relative path inside dir (00-namespace/namespace.k8s.yaml), never outside it
    const parts = f.name.split('/');
    if (path.isAbsolute(f.name) || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
      throw new OpsError(`stored manifest name "${f.name}" is not a relative path inside the release`);
    }
    fs.mkdirSync(path.join(dir, ...parts.slice(0, -1)), { recursive: true });
    fs.writeFileSync(path.join(dir, ...parts), f.text);
  }
  return manifestsFromFiles(dir, files);
}

export function nextRevision(h: History): number {
  return h.revisions.reduce((n, r) => Math.max(n, r.revision), 0) + 1;
}

/** The revision serving now: the newest `deployed` one. */
export function currentRevision(h: History): RevisionRecord | undefined {
  return [...h.revisions].reverse().find((r) => r.status === 'deployed');
}

/** Adds a revision (status pending) and drops the oldest beyond HISTORY_MAX. */
export function addRevision(h: History, rec: RevisionRecord, manifests: Manifests): History {
  const revisions = [...h.revisions.filter((r) => r.revision !== rec.revision), rec].sort((a, b) => a.revision - b.revision);
  const kept = revisions.slice(-HISTORY_MAX);
  const out = new Map([...h.manifests].filter(([n]) => kept.some((r) => r.revision === n)));
  out.set(rec.revision, packManifests(manifests));
  return { revisions: kept, manifests: out };
}

/** Sets a revision's status; a newly deployed revision supersedes the previously deployed ones. */
export function setStatus(h: History, revision: number, status: RevisionStatus, reason?: string): History {
  return {
    manifests: h.manifests,
    revisions: h.revisions.map((r) => {
      if (r.revision === revision) return { ...r, status, ...(reason !== undefined && { reason }) };
      if (status === 'deployed' && r.status === 'deployed') return { ...r, status: 'superseded' as const };
      return r;
    }),
  };
}

/**
 * The revision `rollback` goes to: --to-revision N, or the newest successfully deployed revision
 * older than the newest revision (so after a failed upgrade, the last good one; after a good one,
 * the one before it). It must still have its manifests.
 */
export function rollbackTarget(h: History, toRevision?: number): RevisionRecord {
  if (h.revisions.length === 0) throw new OpsError('no recorded revisions: nothing to roll back to (deploy first)');
  let target: RevisionRecord | undefined;
  if (toRevision !== undefined) {
    target = h.revisions.find((r) => r.revision === toRevision);
    if (!target) throw new OpsError(`revision ${toRevision} is not in the history (recorded: ${h.revisions.map((r) => r.revision).join(', ')})`);
  } else {
    const latest = h.revisions[h.revisions.length - 1];
    target = [...h.revisions]
      .reverse()
      .find((r) => r.revision < latest.revision && (r.status === 'deployed' || r.status === 'superseded'));
    if (!target) throw new OpsError(`no successful revision before revision ${latest.revision}: nothing to roll back to`);
  }
  if (!h.manifests.has(target.revision)) throw new OpsError(`revision ${target.revision} has no stored manifests`);
  return target;
}

export function historyConfigMap(envName: string, namespace: string, h: History): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: HISTORY_CONFIGMAP,
      namespace,
      labels: { ...releaseLabels(envName), 'app.kubernetes.io/managed-by': FIELD_MANAGER, 'app.kubernetes.io/component': 'release-history' },
    },
    data: Object.fromEntries(h.revisions.map((r) => [`revision-${r.revision}.json`, JSON.stringify(r)])),
    binaryData: Object.fromEntries([...h.manifests].map(([n, v]) => [`revision-${n}.manifests.json.gz`, v])),
  };
}

/** Server-side applies the history ConfigMap (through stdin). Keys this manager no longer sends are removed. */
export function writeHistory(kubectl: Kubectl, envName: string, namespace: string, h: History): void {
  const r = kubectl.run(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'], {
    stdin: JSON.stringify(historyConfigMap(envName, namespace, h)),
  });
  if (r.code !== 0) throw new OpsError(`cannot write the release history (configmap ${namespace}/${HISTORY_CONFIGMAP}): ${firstLine(r.stderr)}`);
}

export function formatHistory(h: History): string {
  const rows = [['REVISION', 'UPDATED', 'STATUS', 'DESCRIPTION', 'GIT', 'DIGEST', 'IMAGES']];
  for (const r of h.revisions) {
    rows.push([String(r.revision), r.time, r.status, r.description + (r.reason ? ` (${r.reason})` : ''), r.git, r.digest.slice(0, 19), r.images.join(',')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
