/**
 * Renders docs/configuration.md from the zod schema (every environment field), the shipped
 * environments, the CI overrides, and the contract's BACKEND_ENV / MIGRATE_ENV / FRONTEND_ENV together with how
 * the manifests set each variable. scripts/gen-config-docs.ts writes it; a test fails when the
 * committed file differs.
 */
import { z } from 'zod';
import { Testing } from 'cdk8s';
import { BACKEND_ENV, FRONTEND_ENV, MIGRATE_ENV, MIGRATION_CONNECTIONS, type EnvVarSpec } from '@todo/contract';
import { ENVIRONMENT_NAMES, OVERRIDE_VARIABLES, resolveEnvironment, type ResolvedEnvironment } from './index';
import { environmentSchema, type EnvironmentConfig } from './schema';
import { connectionDemand } from '../rules';

/** "needed / budget" of the database connections (charts/rules.ts connectionDemand). */
function connections(c: EnvironmentConfig): string {
  const budget = c.database.kind === 'in-cluster' ? c.database.maxConnections - c.database.reservedConnections : c.database.connectionBudget;
  return `${connectionDemand(c.hpa ? c.hpa.maxReplicas : c.replicas, c.backend.dbPoolMax).demand} / ${budget}`;
}
import { buildApp } from '../synth';

type Json = { [k: string]: any };

const cell = (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (v: unknown) => (v === undefined ? '' : `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``);

function typeOf(s: Json): string {
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' | ');
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map(typeOf).join(' | ');
  if (s.type === 'array') return `${typeOf(s.items ?? {})}[]`;
  if (s.type === 'object' && !s.properties && s.additionalProperties) return `map of ${typeOf(s.additionalProperties)}`;
  const bounds = [s.minimum !== undefined && s.minimum > -9e15 ? `≥ ${s.minimum}` : '', s.maximum !== undefined && s.maximum < 9e15 ? `≤ ${s.maximum}` : '']
    .filter(Boolean)
    .join(', ');
  return `${s.type ?? 'any'}${bounds ? ` (${bounds})` : ''}`;
}

function rows(s: Json, prefix: string, out: string[][], required = true): void {
  if (s.anyOf || s.oneOf) {
    for (const v of s.anyOf ?? s.oneOf) {
      const kind = v.properties?.kind?.const;
      rows(v, kind ? `${prefix} (kind ${kind})` : prefix, out, required);
    }
    return;
  }
  if (s.type === 'object' && s.properties) {
    const req = new Set<string>(s.required ?? []);
    for (const [k, p] of Object.entries<Json>(s.properties)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const isObj = (p.type === 'object' && p.properties) || p.anyOf || p.oneOf;
      const optional = !req.has(k) || p.default !== undefined;
      if (isObj) {
        out.push([`**${path}**`, 'object', optional ? (p.default !== undefined ? code(p.default) : 'optional') : 'required', p.description ?? '']);
        rows(p, path, out, !optional);
      } else if (p.type === 'array' && p.items?.type === 'object' && p.items.properties) {
        out.push([path, 'list', p.default !== undefined ? code(p.default) : optional ? 'optional' : 'required', p.description ?? '']);
        rows(p.items, `${path}[]`, out);
      } else {
        out.push([path, typeOf(p), p.default !== undefined ? code(p.default) : optional ? 'optional' : 'required', p.description ?? '']);
      }
    }
  }
}

/** The entry point of the at-a-glance table: the hosts and how they are reached. */
function entryCell(c: EnvironmentConfig): string {
  if (c.gateway) {
    const g = c.gateway;
    const where = g.shared ? `Gateway \`${g.shared.namespace}/${g.shared.name}\` listener \`${g.shared.listener}\`` : `own Gateway (class \`${g.own!.className}\`)`;
    return `HTTPRoute ${g.hosts.join(', ') || '(any host)'} on ${where}${g.tls ? `, TLS${g.tls.issuer ? ` (${g.tls.issuer.kind} \`${g.tls.issuer.name}\`)` : ''}` : ''}`;
  }
  if (c.ingress) return `Ingress (class \`${c.ingress.className}\`) ${c.ingress.hosts.join(', ')}${c.ingress.tls ? ', TLS' : ''}`;
  return `NodePort ${c.frontendService.nodePort}`;
}

type Container = { component: 'backend' | 'frontend'; init?: string };

/** How the manifests of `env` set each variable of a container: "ConfigMap `x`" / "Secret key `k`" / "". */
function settings(env: ResolvedEnvironment, { component, init }: Container): Map<string, string> {
  const { charts } = buildApp(env);
  const objects = Testing.synth(charts.workloads) as Json[];
  const d = objects.find((o) => o.kind === 'Deployment' && o.spec.template.metadata.labels['app.kubernetes.io/component'] === component)!;
  const cms = (Testing.synth(charts.config) as Json[]).filter((o) => o.kind === 'ConfigMap');
  const out = new Map<string, string>();
  const pod = d.spec.template.spec;
  const container = init ? pod.initContainers.find((c: Json) => c.name === init) : pod.containers[0];
  for (const e of container.env) {
    const cm = e.valueFrom.configMapKeyRef;
    const sec = e.valueFrom.secretKeyRef;
    out.set(e.name, cm ? code(cms.find((c) => c.metadata.name === cm.name)!.data[cm.key]) : `Secret \`${sec.name}\` key \`${sec.key}\``);
  }
  return out;
}

function envTable(title: string, specs: Record<string, EnvVarSpec>, container: Container, envs: ResolvedEnvironment[]): string {
  const set = envs.map((e) => settings(e, container));
  const head = ['Variable', 'Meaning', 'Default', 'Accepts', 'Secret', ...envs.map((e) => `${e.name}`)];
  const lines = Object.values(specs).map((s) => [
    `\`${s.name}\``,
    s.description,
    s.default !== undefined ? code(s.default) : s.optional ? '*(unset)*' : '**required**',
    s.accepts,
    s.secret ? 'yes' : 'no',
    ...set.map((m) => m.get(s.name) ?? '—'),
  ]);
  return [`### ${title}`, '', table(head, lines)].join('\n');
}

function table(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderConfigDocs(): string {
  const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const fieldRows: string[][] = [];
  rows(schema, '', fieldRows);
  // A fixed tag keeps the generated file independent of the git revision.
  const envs = ENVIRONMENT_NAMES.map((n) => resolveEnvironment(n, { imageTag: 'GIT_REVISION' }));
  const glance = envs.map((e) => {
    const c = e.config;
    return [
      `\`${e.name}\``,
      `\`${e.namespace}\``,
      c.hpa ? `HPA ${c.hpa.minReplicas}→${c.hpa.maxReplicas}` : String(c.replicas),
      c.pdb ? `maxUnavailable ${c.pdb.maxUnavailable}` : '—',
      c.imagePullPolicy,
      entryCell(c),
      c.database.kind,
      connections(c),
      c.images.registry ?? '*(local)*',
    ];
  });
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` (scripts/gen-config-docs.ts) from charts/config/schema.ts,',
    '     charts/config/environments.ts and contract/src/env.ts. Do not edit: a test fails when it is stale. -->',
    '',
    'Two layers of configuration: the **environment configuration** (a typed, zod-validated object per',
    'environment in `charts/config/environments.ts`, checked at synth time) decides what the manifests',
    'contain; the **application environment variables** (declared once in `contract/src/env.ts`) are what',
    'the processes read, and the manifests set them from a ConfigMap or, for secrets, a Secret key.',
    '',
    '## Environments at a glance',
    '',
    table(['Environment', 'Namespace', 'Replicas per tier', 'PDB', 'Pulls', 'Entry', 'Database', 'DB connections: needed / budget', 'Registry'], glance),
    '',
    '## Environment configuration fields',
    '',
    'Defaults are filled in by the schema; *optional* fields without a default may be left out.',
    '',
    table(['Field', 'Type', 'Default', 'Description'], fieldRows),
    '',
    '### Rules',
    '',
    'Synth refuses, with one line per problem naming the environment and the field, and writes nothing:',
    '',
    '- **Kubernetes syntax**: names are DNS labels (namespace, environment name: at most 58 so the release label',
    '  `todo-<name>` fits) or DNS subdomains (Secrets, IngressClass, StorageClass, PriorityClass); label and',
    '  annotation keys and label values in their syntax (node selector, tolerations, the pod labels of the gateway,',
    '  the ingress controller and the scraper, Ingress annotations); CPU,',
    '  memory and storage as Kubernetes quantities (memory never in milli-bytes, at least 6Mi; CPU at least 1m);',
    '  CIDRs as the API server parses them, with no bits set after the prefix; host names RFC 1123, each once.',
    '- **What the API server refuses**: a limit below its request; an image without a tag or digest, or `latest`;',
    '  a toleration value with `Exists`; a node port on a ClusterIP Service, or a NodePort Service without one.',
    '- **What would harm the cluster**: the namespaces `default` and `kube-*` (Pod Security `restricted` and a',
    '  deny-all NetworkPolicy on the cluster\'s own); two environments in one namespace; the `system-` PriorityClasses;',
    '  a database egress open towards every address (`0.0.0.0/0`, `::/0`) unless `database.egress.allowWorld` says so.',
    '- **Entry point and TLS**: one of `gateway` and `ingress` (or the frontend\'s NodePort); a Gateway either',
    '  `shared` or `own`; TLS without a host (the certificate names them); TLS on a shared listener declared `HTTP`;',
    '  an issuer without TLS, or as cert-manager\'s Ingress annotation instead of the typed `tls.issuer`; a database',
    '  egress with both or neither of `cidrs` and `pods`.',
    '- **What makes no sense at scale**: `hpa.minReplicas` above `hpa.maxReplicas`; a PDB on fewer than 2 replicas',
    '  (`hpa.minReplicas`, else `replicas`) or with `maxUnavailable` not below that number; an HPA utilization',
    '  target at or above limit/request (usage cannot get there); more database connections than the budget.',
    '',
    `**Database connection budget.** The backend may hold (M + S) × P + (M + S) × C connections, with M the most`,
    'replicas (`hpa.maxReplicas`, else `replicas`), S the rolling update\'s surge (1), P `backend.dbPoolMax` and C',
    `the migration's connections (\`MIGRATION_CONNECTIONS\` of the contract, ${MIGRATION_CONNECTIONS}): every pod that may run at once with a`,
    'full pool, plus the migration its init container runs while the pods it replaces still hold theirs.',
    'The budget is `database.maxConnections` −',
    '`database.reservedConnections` for the in-cluster PostgreSQL (its `max_connections` is set from the first),',
    'and the required `database.connectionBudget` for an external one.',
    '',
    '## CI overrides',
    '',
    'Merged into the configuration before validation (so the same schema checks them). Flags win over variables.',
    'Those that mean one deployment need `--env`: without it synth refuses them rather than apply them everywhere.',
    '',
    table(
      ['Variable', 'synth flag', 'Effect', 'Needs --env'],
      Object.values(OVERRIDE_VARIABLES).map((v) => [`\`${v.env}\``, `\`${v.flag}\``, v.description, v.perEnvironment ? 'yes' : 'no']),
    ),
    '',
    '## Application environment variables',
    '',
    'The per-environment columns show what the manifests set; `—` means',
    'the manifests leave the variable unset, so the default applies.',
    '',
    envTable('Backend (`backend/`)', BACKEND_ENV, { component: 'backend' }, envs),
    '',
    envTable('Migration command (`node dist/migrate.js`, the backend\'s init container `migrate`)', MIGRATE_ENV, { component: 'backend', init: 'migrate' }, envs),
    '',
    envTable('Frontend web server (`frontend/`)', FRONTEND_ENV, { component: 'frontend' }, envs),
    '',
  ].join('\n');
}
