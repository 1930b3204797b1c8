/** The synth command users run (scripts/synth.mjs -> app/main.ts): exit codes, messages, overrides. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/synth.mjs', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

describe('npm run synth', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes the named environment with env-var overrides, validated', () => {
    const out = path.join(dir, 'ok');
    const r = run(['--env', 'production', '--outdir', out], { TODO_IMAGE_TAG: 'ci-123', TODO_INGRESS_HOST: 'todo.ci.example.com' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const yaml = fs.readFileSync(path.join(out, 'production', '20-workloads.k8s.yaml'), 'utf8');
    expect(yaml).toContain('image: registry.example.com/todo/todo-backend:ci-123');
    expect(yaml).toContain('host: todo.ci.example.com');
    expect(fs.readdirSync(out)).toEqual(['production']);
  }, 20000);

  test.each([
    [['--env', 'prod'], {}, 'synth: unknown environment "prod" (known: dev, e2e, staging, production)'],
    [['--image-tag', 'latest'], {}, 'must not use the tag latest'],
    [['--bogus'], {}, 'synth: unknown option --bogus'],
    [[], { TODO_BACKEND_IMAGE: 'todo-backend' }, 'environment "dev": backend.image ("todo-backend") needs a tag or a @sha256 digest'],
  ])('%j %j fails with one clear message and writes nothing', (args, env, message) => {
    const out = path.join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const r = run([...args, '--outdir', out], { TODO_IMAGE_TAG: 'x1', ...env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(fs.existsSync(out)).toBe(false);
  }, 20000);
});
