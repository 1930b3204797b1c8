/** Argument parsing: what is accepted, and the one message for each mistake (exit 2). */
import { parseArgs, parseDuration, usage } from '../src/args';
import { UsageError } from '../src/errors';
import { mutations, runCli, world } from './fakes';
import { ENVIRONMENT_NAMES } from '../../charts/config';

// derived from the configuration, so adding an environment (README recipe) keeps these tests true
const KNOWN = ENVIRONMENT_NAMES.join(', ');
const UNKNOWN = 'no-such-environment';

const usageError = (argv: string[]) => {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseArgs', () => {
  test('global options in both forms, command options, defaults', () => {
    expect(parseArgs(['deploy', '--env', 'dev', '--context=minikube', '--kubeconfig', '/k', '--timeout', '5m', '--dry-run', '--skip-smoke'])).toEqual({
      command: 'deploy',
      help: false,
      env: 'dev',
      context: 'minikube',
      kubeconfig: '/k',
      timeoutSeconds: 300,
      dryRun: true,
      flags: { 'skip-smoke': true },
    });
    expect(parseArgs(['rollback', '--env=staging', '--to-revision', '3'])).toMatchObject({ env: 'staging', timeoutSeconds: 300, flags: { 'to-revision': '3' } });
  });

  test.each([
    [['deploy', '--env', UNKNOWN], `unknown environment "${UNKNOWN}" (known: ${KNOWN})`],
    [['deploy'], `deploy: --env is required (known: ${KNOWN})`],
    [['deploy', '--env'], 'deploy: --env needs a value (NAME)'],
    [['deploy', '--env', '--dry-run'], 'deploy: --env needs a value (NAME)'],
    [['deploy', '--env='], 'deploy: --env needs a value (NAME)'],
    [['deploy', '--env', 'dev', '-x'], 'deploy: unknown option -x (options: --env'],
    [['deploy', '--env', 'dev', '--force=1'], 'deploy: unknown option --force (options: --env'],
    [['deploy', '--env', 'dev', '--', 'extra'], 'deploy: unexpected argument "extra"'],
    [['deploy', '--env', 'dev', '--force'], 'deploy: unknown option --force (options: --env, --context'],
    [['status', '--env', 'dev', '--dry-run'], 'status: unknown option --dry-run'],
    [['deploy', '--env', 'dev', 'extra'], 'deploy: unexpected argument "extra"'],
    [['deploy', '--env', 'dev', '--skip-smoke=yes'], 'deploy: --skip-smoke takes no value'],
    [['deploy', '--env', 'dev', '--timeout', 'soon'], '--timeout: "soon" is not a duration'],
    [['rollback', '--env', 'dev', '--to-revision', 'last'], 'rollback: --to-revision must be a revision number, not "last"'],
    [['history', '--env', 'dev', '--output', 'yaml'], 'history: --output must be table or json'],
    [['uninstall', '--env', 'dev', '--delete-namespace'], 'uninstall: --delete-namespace also deletes the PVCs and Secrets inside the Namespace; add --delete-data to confirm'],
    [['upgrade', '--env', 'dev'], 'unknown command "upgrade" (commands: preflight, diff, deploy, smoke, status, history, rollback, uninstall, secrets, image-scan, helm-chart)'],
  ])('%j -> %s', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  test('--help needs no --env, for the tool and for each command', () => {
    expect(parseArgs(['--help'])).toMatchObject({ command: 'help', help: true });
    expect(parseArgs(['help', 'deploy'])).toMatchObject({ command: 'deploy', help: true });
    expect(parseArgs(['uninstall', '--help'])).toMatchObject({ command: 'uninstall', help: true });
    expect(parseArgs(['deploy', '-h'])).toMatchObject({ command: 'deploy', help: true });
    expect(usage('uninstall')).toContain('--delete-data');
    expect(usage('uninstall')).toContain('--env NAME');
    expect(usage()).toContain('image-scan');
  });

  test('durations', () => {
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('1m30s')).toBe(90);
    expect(() => parseDuration('0')).toThrow(UsageError);
    expect(() => parseDuration('')).toThrow(UsageError);
  });

  test('the CLI: a usage error is exit 2 with one line on stderr and no kubectl call', () => {
    const w = world();
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(runCli(w, ['deploy', '--env', UNKNOWN])).toBe(2);
      expect(spy.mock.calls.map((c) => String(c[0]))).toEqual([`ops: unknown environment "${UNKNOWN}" (known: ${KNOWN})\n`]);
    } finally {
      spy.mockRestore();
    }
    expect(w.journal).toEqual([]);
    expect(mutations(w.cluster.calls)).toEqual([]);
  });
});
