/**
 * Command-line parsing: `ops <command> [options]`. Pure (no I/O): returns what to run or throws a
 * UsageError with one line to print. The commands and options are declared once (COMMANDS, GLOBAL):
 * they drive node:util's parseArgs, the checks and the help text.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { ENVIRONMENT_NAMES } from '../../charts/config';
import { UsageError } from './errors';
import { DEFAULT_CHART_OUTDIR } from './helm-chart';
import { DEFAULT_TIMEOUT_SECONDS } from './settings';

interface OptionSpec {
  flag: string;
  /** Placeholder of the value; absent for boolean flags. */
  value?: string;
  help: string;
}

interface CommandSpec {
  summary: string;
  /** What it does to the cluster (shown by --help). */
  description: string;
  options: OptionSpec[];
  /** Does not talk to the cluster (kubectl is not needed). */
  offline?: true;
}

const GLOBAL: OptionSpec[] = [
  { flag: '--env', value: 'NAME', help: `environment (required): ${ENVIRONMENT_NAMES.join(', ')}` },
  { flag: '--context', value: 'NAME', help: 'kubeconfig context to use (default: the current context; required for production)' },
  { flag: '--kubeconfig', value: 'FILE', help: 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' },
  { flag: '--timeout', value: 'DURATION', help: `wait per rollout / smoke test, e.g. 300s, 5m (default ${DEFAULT_TIMEOUT_SECONDS}s)` },
  { flag: '--help', help: 'show this help' },
];
const DRY_RUN: OptionSpec = { flag: '--dry-run', help: 'show what would change; change nothing' };
const SKIP_ENTRY: OptionSpec = { flag: '--skip-entry', help: 'smoke test: do not check through the Gateway or the Ingress' };

export const COMMANDS: Record<string, CommandSpec> = {
  preflight: {
    summary: 'check kubectl, the context, the server version, the Secrets and (dev) the images',
    description: 'Read-only. Synthesizes the environment into a temporary directory to know which Secret keys and images it needs.',
    options: [],
  },
  diff: {
    summary: 'show what deploy would change (kubectl diff, server-side) and what it would prune',
    description: 'Read-only. Synthesizes into a temporary directory and runs `kubectl diff --server-side`.',
    options: [],
  },
  deploy: {
    summary: 'install or upgrade: synth, preflight, server-side apply, prune, wait, smoke test',
    description:
      'Applies the synthesized objects with server-side apply (field manager todo-ops, --force-conflicts), deletes objects of an earlier revision that this one no longer has (only among objects with the release labels; never the Namespace, PVCs or Secrets), records the revision in the ConfigMap todo-release-history, waits for the migrations and every rollout, then runs the smoke test.',
    options: [DRY_RUN, { flag: '--skip-smoke', help: 'do not run the smoke test' }, SKIP_ENTRY],
  },
  smoke: {
    summary: 'run the smoke test (helm test): a short-lived Pod checks both tiers through their Services and the Ingress',
    description: 'Creates a Pod todo-smoke-<random> in the namespace, prints its logs, deletes it.',
    options: [SKIP_ENTRY],
  },
  status: {
    summary: 'objects, rollout state, pods and the current revision',
    description: 'Read-only.',
    options: [],
  },
  history: {
    summary: 'the recorded revisions',
    description: 'Read-only: reads the ConfigMap todo-release-history.',
    options: [{ flag: '--output', value: 'table|json', help: 'output format (default table)' }],
  },
  rollback: {
    summary: 're-deploy a recorded earlier revision (default: the last successful one before the current)',
    description:
      'Re-applies the manifests stored with that revision exactly as deploy does (apply, prune, wait, smoke) and records a new revision. Database migrations are not undone.',
    options: [{ flag: '--to-revision', value: 'N', help: 'the revision to go back to' }, DRY_RUN, { flag: '--skip-smoke', help: 'do not run the smoke test' }, SKIP_ENTRY],
  },
  uninstall: {
    summary: "delete the release's objects (by the release labels)",
    description: 'Keeps the database PVC and the Secrets unless --delete-data, and the Namespace unless --delete-namespace.',
    options: [
      { flag: '--delete-data', help: 'also delete the PersistentVolumeClaims (the database) and the Secrets the tool created' },
      { flag: '--delete-namespace', help: 'also delete the Namespace (needs --delete-data: it holds the PVCs and Secrets)' },
      { flag: '--keep-history', help: 'keep the ConfigMap todo-release-history' },
      DRY_RUN,
    ],
  },
  secrets: {
    summary: "create the environment's Secret with random values, or rotate them (values are never printed)",
    description:
      'Applies the Secret through stdin (server-side apply). Without --rotate existing keys are kept. For an external database it never invents database-url or migration-database-url: give them with --database-url-stdin (both, when one role migrates and serves) and --migration-database-url-stdin.',
    options: [
      { flag: '--rotate', help: 'replace every generated value (and restart the Deployments that read them)' },
      { flag: '--database-url-stdin', help: "read database-url from this tool's stdin (external database; also migration-database-url where that is missing)" },
      { flag: '--migration-database-url-stdin', help: "read migration-database-url (the migrations' role) from this tool's stdin (external database)" },
      { flag: '--registry-credentials-stdin', help: "instead: create the environment's imagePullSecret (type kubernetes.io/dockerconfigjson) from a Docker config.json on stdin" },
      DRY_RUN,
    ],
  },
  'image-scan': {
    summary: 'scan both images with trivy (when installed)',
    description: 'Runs `trivy image` on the backend and frontend images of the environment. Does not touch the cluster.',
    options: [
      { flag: '--require', help: 'fail (exit 1) when trivy is not installed instead of skipping' },
      { flag: '--severity', value: 'LIST', help: 'severities that fail the scan (default HIGH,CRITICAL)' },
    ],
    offline: true,
  },
  'helm-chart': {
    summary: `write the environment as a Helm chart (${DEFAULT_CHART_OUTDIR}/todo-<env>), the smoke test as its helm test hook`,
    description:
      'Does not touch the cluster. Synthesizes the environment and writes the chart: the objects, container images as values, the smoke test as a `helm test` hook. The Namespace (and any PVC or Secret) stays out of the chart, in prerequisites.yaml in the chart folder (not packaged), so helm uninstall cannot delete it.',
    options: [
      { flag: '--outdir', value: 'DIR', help: `directory to write the chart into (default ${DEFAULT_CHART_OUTDIR})` },
      { flag: '--from', value: 'DIR', help: "the environment's synthesized manifests to use (e.g. dist/dev) instead of synthesizing" },
    ],
    offline: true,
  },
};

export type CommandName = keyof typeof COMMANDS;

export interface ParsedArgs {
  command: string;
  help: boolean;
  env: string;
  context?: string;
  kubeconfig?: string;
  timeoutSeconds: number;
  dryRun: boolean;
  /** Command-specific options by flag name without dashes: `rotate: true`, `to-revision: '3'`. */
  flags: Record<string, string | true>;
}

/** `300`, `300s`, `5m`, `1h`, `1m30s` -> seconds. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text);
  if (!m || text === '' || (!m[1] && !m[2] && !m[3])) throw new UsageError(`--timeout: "${text}" is not a duration (e.g. 300s, 5m)`);
  const s = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (s <= 0) throw new UsageError('--timeout must be positive');
  return s;
}

const formatOptions = (opts: OptionSpec[]) =>
  opts.map((o) => `  ${`${o.flag}${o.value ? ` ${o.value}` : ''}`.padEnd(26)} ${o.help}`).join('\n');

export function usage(command?: string): string {
  if (command && COMMANDS[command]) {
    const c = COMMANDS[command];
    return [
      `usage: npm run ops -- ${command} --env NAME [options]`,
      '',
      `${c.summary}.`,
      c.description,
      '',
      'options:',
      ...(c.options.length ? [formatOptions(c.options)] : []),
      formatOptions(GLOBAL),
    ].join('\n');
  }
  return [
    'usage: npm run ops -- <command> --env NAME [options]     (or npm run <command> -- --env NAME ...)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`),
    '',
    'global options:',
    formatOptions(GLOBAL),
    '',
    'Run `npm run ops -- <command> --help` for the options of one command. See docs/operations.md.',
  ].join('\n');
}

/**
 * Tokenizing is node:util's parseArgs (`--flag value`, `--flag=value`, `-h`, `--`); it runs with
 * strict: false so that each mistake gets this tool's own one-line message, checked here token by
 * token in command-line order (the first mistake is the one reported).
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`unknown command "${topic}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return { command: topic ?? 'help', help: true, env: '', timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, dryRun: false, flags: {} };
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);

  const known = new Map<string, OptionSpec>([...GLOBAL, ...spec.options].map((o) => [o.flag, o]));
  const { tokens } = nodeParseArgs({
    args: [...rest],
    options: Object.fromEntries(
      [...known.values()].map((o) => [o.flag.slice(2), { type: o.value ? ('string' as const) : ('boolean' as const), ...(o.flag === '--help' && { short: 'h' }) }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out: ParsedArgs = { command, help: false, env: '', timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, dryRun: false, flags: {} };
  let env: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`${command}: unexpected argument "${token.value}" (see --help)`);
    if (token.kind === 'option-terminator') continue;
    const flag = token.rawName;
    if (token.name === 'help' && !token.inlineValue) {
      out.help = true;
      continue;
    }
    const opt = known.get(flag);
    if (!opt) throw new UsageError(`${command}: unknown option ${flag} (options: ${[...known.keys()].join(', ')})`);
    let value: string | true = true;
    if (opt.value) {
      // parseArgs takes the next argument as the value even when it is an option (`--env --dry-run`).
      const v = token.value;
      if (v === undefined || v === '' || (!token.inlineValue && v.startsWith('--'))) throw new UsageError(`${command}: ${flag} needs a value (${opt.value})`);
      value = v;
    } else if (token.inlineValue) {
      throw new UsageError(`${command}: ${flag} takes no value`);
    }
    switch (flag) {
      case '--env':
        env = value as string;
        break;
      case '--context':
        out.context = value as string;
        break;
      case '--kubeconfig':
        out.kubeconfig = value as string;
        break;
      case '--timeout':
        out.timeoutSeconds = parseDuration(value as string);
        break;
      case '--dry-run':
        out.dryRun = true;
        break;
      default:
        out.flags[flag.slice(2)] = value;
    }
  }
  if (out.help) return out;
  if (env === undefined) throw new UsageError(`${command}: --env is required (known: ${ENVIRONMENT_NAMES.join(', ')})`);
  if (!(ENVIRONMENT_NAMES as string[]).includes(env)) throw new UsageError(`unknown environment "${env}" (known: ${ENVIRONMENT_NAMES.join(', ')})`);
  out.env = env;

  const to = out.flags['to-revision'];
  if (to !== undefined && !/^[1-9]\d*$/.test(String(to))) throw new UsageError(`${command}: --to-revision must be a revision number, not "${to}"`);
  const output = out.flags.output;
  if (output !== undefined && output !== 'table' && output !== 'json') throw new UsageError(`${command}: --output must be table or json`);
  if (out.flags['delete-namespace'] && !out.flags['delete-data']) {
    throw new UsageError(`${command}: --delete-namespace also deletes the PVCs and Secrets inside the Namespace; add --delete-data to confirm`);
  }
  return out;
}
