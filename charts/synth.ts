/**
 * Synthesizes environments into <outdir>/<env>/ (layout: charts/todo.ts OUTPUT_FILES). Every
 * environment is resolved (validated) and built before anything is written; each one is written to a
 * temporary sibling directory and renamed into place, so a failure never leaves a half-written or
 * missing dist/<env>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { App, Yaml } from 'cdk8s';
import { resolveEnvironments, type EnvironmentName, type Overrides, type ResolvedEnvironment } from './config';
import { TodoCharts } from './todo';
import { EXTENSIONS } from './extensions';

/** Builds one environment's App in memory (tests use this and `Testing.synth(chart)`). */
export function buildApp(env: ResolvedEnvironment): { app: App; charts: TodoCharts } {
  const app = new App({ outdir: '/nonexistent' }); // files are written by renderEnvironment, not App.synth
  const charts = new TodoCharts(app, env);
  for (const extend of EXTENSIONS[env.name as EnvironmentName] ?? []) extend(charts, env);
  return { app, charts };
}

/** The YAML text of every output file of one environment (validates every construct first). */
export function renderEnvironment(env: ResolvedEnvironment): { file: string; text: string }[] {
  const { charts } = buildApp(env);
  // chart.toJson() runs the App's validations, then renders the chart's objects in dependency order
  return charts.outputs.map(({ chart, file }) => ({ file, text: Yaml.stringify(...chart.toJson()) }));
}

/** Writes the environments `named` (all when none) into outRoot/<env>/; returns the directories written. */
export function synthesizeAll(outRoot: string, named?: readonly string[], overrides: Overrides = {}): string[] {
  const rendered = resolveEnvironments(named, overrides).map((env) => ({ env, files: renderEnvironment(env) })); // throws before any write
  fs.mkdirSync(outRoot, { recursive: true });
  const staged: { tmp: string; final: string }[] = [];
  try {
    for (const { env, files } of rendered) {
      const tmp = fs.mkdtempSync(path.join(outRoot, `.${env.name}-`));
      staged.push({ tmp, final: path.join(outRoot, env.name) });
      fs.chmodSync(tmp, 0o755);
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(tmp, f.file)), { recursive: true });
        fs.writeFileSync(path.join(tmp, f.file), f.text);
      }
    }
  } catch (e) {
    for (const s of staged) fs.rmSync(s.tmp, { recursive: true, force: true });
    throw e;
  }
  for (const { tmp, final } of staged) {
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
  }
  return staged.map((s) => s.final);
}
