/**
 * A temporary copy of the project (sources, tests, docs, README; node_modules linked) for tests that
 * edit sources the way a user would (README recipes, bad environment files) and run the real
 * commands in it. Inside a copy TODO_PROJECT_COPY=1 is set, and the suites that make copies skip
 * themselves there (no recursion).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..');
const COPIED = ['app', 'charts', 'contract', 'imports', 'ops', 'scripts', 'test', 'docs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.base.json', 'jest.config.js', 'cdk8s.yaml', 'README.md', '.gitignore'];

/** Whether this process runs inside a copy (the copying suites skip themselves there). */
export const IN_COPY = process.env.TODO_PROJECT_COPY === '1';

export interface ProjectCopy {
  dir: string;
  run(command: string, env?: Record<string, string>): { status: number | null; stdout: string; stderr: string };
  read(file: string): string;
  write(file: string, text: string): void;
  remove(): void;
}

export function copyProject(prefix = 'todo-copy-'): ProjectCopy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const p of COPIED) fs.cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true, filter: (src) => !/[/\\](node_modules|\.build|dist)$/.test(src) });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  // a repository of its own: synth tags images with the git revision, as in a clone
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=copy', '-c', 'user.email=copy@example.com', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'copy');
  const env = { ...process.env, TODO_PROJECT_COPY: '1', TODO_IMAGE_TAG: 'copy0123abcd', CDK8S_CHECK_UPGRADE: 'false', CI: 'true' };
  return {
    dir,
    run: (command, extra = {}) => {
      const r = spawnSync('bash', ['-c', command], { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    read: (file) => fs.readFileSync(path.join(dir, file), 'utf8'),
    write: (file, text) => fs.writeFileSync(path.join(dir, file), text),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Inserts `block` after the line that opens the object literal `name` (e.g. `export const ENVIRONMENTS = {`). */
export function insertIntoObject(source: string, name: string, block: string): string {
  const lines = source.split('\n');
  const i = lines.findIndex((l) => new RegExp(`\\b${name}\\b.*=\\s*\\{\\s*$`).test(l));
  if (i < 0) throw new Error(`no object literal ${name} in the source`);
  const indent = '  ';
  lines.splice(i + 1, 0, ...block.trimEnd().split('\n').map((l) => (l ? indent + l : l)));
  return lines.join('\n');
}

/** The fenced code blocks of a README section (`## title`), in order, with their language. */
export function codeBlocks(markdown: string, section: string): { lang: string; code: string }[] {
  const start = markdown.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README has no section "## ${section}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  const body = markdown.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
}
