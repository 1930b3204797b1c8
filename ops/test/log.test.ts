/** The tool's logger: pino records, printed as the documented human lines or as JSON. */
import { UsageError } from '../src/errors';
import { logFormat, MemoryLog, PinoLog, type Log } from '../src/log';

const capture = () => {
  const chunks: string[] = [];
  return { chunks, write: (t: string) => void chunks.push(t) };
};
const script = (log: Log) => {
  log.step('synthesizing dev');
  log.info('context minikube\nserver v1.33.1');
  log.warn('server v1.34.0 is outside the supported range');
  log.out('preflight passed for dev');
  log.error('deploy: kubectl apply failed');
};

describe('PinoLog', () => {
  test('pretty (the default): the same lines MemoryLog records, one write per record, results on stdout', () => {
    const stdout = capture();
    const stderr = capture();
    script(new PinoLog({ command: 'deploy' }, stdout, stderr));
    const memory = new MemoryLog();
    script(memory);
    expect(stderr.chunks).toEqual(['==> synthesizing dev\n', 'context minikube\nserver v1.33.1\n', 'warning: server v1.34.0 is outside the supported range\n', 'ops: deploy: kubectl apply failed\n']);
    expect(stdout.chunks).toEqual(['preflight passed for dev\n']);
    expect([...stderr.chunks, ...stdout.chunks].map((c) => c.replace(/\n$/, '')).sort()).toEqual([...memory.lines].sort());
  });

  test('json: one pino record per line with the servers\' fields (level label, ISO time, service, msg)', () => {
    const stdout = capture();
    const stderr = capture();
    script(new PinoLog({ format: 'json', command: 'deploy' }, stdout, stderr));
    const records = stderr.chunks.map((c) => {
      expect(c.endsWith('\n')).toBe(true);
      return JSON.parse(c);
    });
    expect(records.map(({ time, ...r }) => (expect(new Date(time).toISOString()).toBe(time), r))).toEqual([
      { level: 'info', service: 'ops', command: 'deploy', step: true, msg: 'synthesizing dev' },
      { level: 'info', service: 'ops', command: 'deploy', msg: 'context minikube\nserver v1.33.1' },
      { level: 'warn', service: 'ops', command: 'deploy', msg: 'server v1.34.0 is outside the supported range' },
      { level: 'error', service: 'ops', command: 'deploy', msg: 'deploy: kubectl apply failed' },
    ]);
    expect(stdout.chunks).toEqual(['preflight passed for dev\n']);
  });

  test('TODO_OPS_LOG_FORMAT: pretty by default, json, anything else is a usage error', () => {
    expect(logFormat({})).toBe('pretty');
    expect(logFormat({ TODO_OPS_LOG_FORMAT: 'json' })).toBe('json');
    expect(() => logFormat({ TODO_OPS_LOG_FORMAT: 'yaml' })).toThrow(new UsageError('TODO_OPS_LOG_FORMAT must be pretty or json, not "yaml"'));
  });
});
