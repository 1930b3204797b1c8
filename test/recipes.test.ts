/**
 * The README's recipes, executed exactly as printed: each TypeScript block is inserted where its
 * first line says (`// <file>, in <OBJECT>`), each bash block is run, in a copy of the project; then
 * the copy's type check and test suite must pass. Negative controls: the extension recipe with a
 * misspelt environment key, and twice, must not compile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { codeBlocks, copyProject, IN_COPY, insertIntoObject, ROOT, type ProjectCopy } from './project-copy';

const SECTIONS = ['Add an environment', 'Extend a construct for one environment only'] as const;
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function recipe(section: string): { file: string; object: string; code: string; commands: string } {
  const blocks = codeBlocks(readme, section);
  const ts = blocks.filter((b) => b.lang === 'ts');
  const bash = blocks.filter((b) => b.lang === 'bash');
  if (ts.length !== 1 || bash.length !== 1) throw new Error(`"${section}" must print one ts and one bash block`);
  const target = /^\/\/ (\S+), in (\w+)\n/.exec(ts[0].code);
  if (!target) throw new Error(`"${section}": the ts block's first line must say where it goes: // <file>, in <OBJECT>`);
  return { file: target[1], object: target[2], code: ts[0].code, commands: bash[0].code };
}

const objectsOf = (copy: ProjectCopy, file: string) =>
  parseAllDocuments(copy.read(file)).map((d) => d.toJS()).filter(Boolean) as { kind: string; metadata: { name: string }; spec: any }[];

(IN_COPY ? describe.skip : describe)('README recipes, as printed, in a copy of the project', () => {
  let copy: ProjectCopy;
  beforeAll(() => {
    copy = copyProject('todo-recipes-');
  });
  afterAll(() => copy?.remove());

  test('add an environment and extend one: the printed commands succeed, the output has both, type check and suite pass', () => {
    const recipes = SECTIONS.map(recipe);
    for (const r of recipes) copy.write(r.file, insertIntoObject(copy.read(r.file), r.object, r.code));
    for (const r of recipes) {
      const run = copy.run(`set -e\n${r.commands}`);
      expect([run.status, run.status === 0 ? '' : run.stderr.slice(-3000)]).toEqual([0, '']);
    }
    // add an environment: written in the same layout, documented, snapshotted
    expect(fs.readdirSync(path.join(copy.dir, 'dist', 'qa')).sort()).toEqual(fs.readdirSync(path.join(copy.dir, 'dist', 'dev')).sort());
    expect(copy.read('docs/configuration.md')).toMatch(/^\| `qa` \| `todo-qa` \|/m);
    expect(copy.read('test/__snapshots__/manifests.test.ts.snap')).toContain('environment qa');
    // extend one environment: only staging's frontend pods carry the label
    for (const env of fs.readdirSync(path.join(copy.dir, 'dist'))) {
      const fe = objectsOf(copy, `dist/${env}/20-workloads.k8s.yaml`).find((o) => o.kind === 'Deployment' && o.metadata.name === 'todo-frontend')!;
      expect([env, fe.spec.template.metadata.labels['example.com/cost-centre']]).toEqual([env, env === 'staging' ? 'web-staging' : undefined]);
    }
    const check = copy.run('npm run -s typecheck');
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 600_000);

  test('negative controls: the extension recipe with a misspelt key, or a key written twice, does not compile', () => {
    const r = recipe('Extend a construct for one environment only');
    const original = fs.readFileSync(path.join(ROOT, r.file), 'utf8');
    const tsconfig = path.join(copy.dir, 'tsconfig.charts.json');
    fs.writeFileSync(tsconfig, JSON.stringify({ extends: './tsconfig.base.json', include: ['charts', 'contract/src', 'imports'] }));
    const compile = (source: string) => {
      copy.write(r.file, source);
      return copy.run('npx tsc -p tsconfig.charts.json --noEmit');
    };
    try {
      const typo = compile(insertIntoObject(original, r.object, r.code.replace(/^staging:/m, 'stagign:')));
      expect(typo.status).not.toBe(0);
      expect(typo.stdout).toMatch(/charts\/extensions\.ts.*'stagign' does not exist/);
      const twice = compile(insertIntoObject(insertIntoObject(original, r.object, r.code), r.object, r.code));
      expect(twice.status).not.toBe(0);
      expect(twice.stdout).toMatch(/charts\/extensions\.ts.*TS1117/);
      expect(compile(insertIntoObject(original, r.object, r.code)).status).toBe(0); // the control compiles as printed
    } finally {
      copy.write(r.file, original);
    }
  }, 300_000);
});
