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

  const run = (args: string[]) =>
    spawnSync(process.execPath, [TSX, 'ops/src/cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      // PATH without kubectl (nor anything else); no kubeconfig
      env: { PATH: emptyBin, HOME: emptyBin, KUBECONFIG: path.join(emptyBin, 'none'), TODO_IMAGE_TAG: 'cli0test' },
      timeout: 20000,
    });

  test('without kubectl on PATH: one clear message, exit 1, nothing else', () => {
    const r = run(['deploy', '--env', 'dev']);
    expect(r.stderr).toBe('ops: deploy: kubectl is not installed or not on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) and retry\n');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
  }, 20000);
});
