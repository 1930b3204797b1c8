/** The real entry point as users run it (tsx ops/src/cli.ts), as a child process. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './fakes';

const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

describe('ops CLI (child process)', () => {
  let emptyBin: string;
  beforeAll(() => {
    emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-ops-nopath-'));
  });
  afterAll(() => fs.rmSync(emptyBin, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [TSX, 'ops/src/cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      // PATH without kubectl (nor anything else); no kubeconfig
      env: { PATH: emptyBin, HOME: emptyBin, KUBECONFIG: path.join(emptyBin, 'none'), TODO_IMAGE_TAG: 'cli0test', ...env },
      timeout: 20000,
    });

  test('without kubectl on PATH: one clear message, exit 1, nothing else', () => {
    const r = run(['deploy', '--env', 'dev']);
    expect(r.stderr).toBe('ops: deploy: kubectl is not installed or not on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) and retry\n');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
  }, 20000);

  test('TODO_OPS_LOG_FORMAT=json: the same failure as one pino JSON record', () => {
    const r = run(['deploy', '--env', 'dev'], { TODO_OPS_LOG_FORMAT: 'json' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', service: 'ops', command: 'deploy', msg: 'deploy: kubectl is not installed or not on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) and retry' });
  }, 20000);

  test('a bad TODO_OPS_LOG_FORMAT is a usage error (exit 2), reported before anything runs', () => {
    const r = run(['deploy', '--env', 'dev'], { TODO_OPS_LOG_FORMAT: 'xml' });
    expect(r.stderr).toBe('ops: TODO_OPS_LOG_FORMAT must be pretty or json, not "xml"\n');
    expect(r.status).toBe(2);
  }, 20000);
});
