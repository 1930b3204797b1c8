/**
 * Synthesizes environments into <outdir>/<env>/. Every environment is resolved (validated) before
 * anything is written; each one is synthesized into a temporary sibling directory and renamed into
 * place, so a failure never leaves a half-written dist/<env>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import { ENVIRONMENT_NAMES, resolveEnvironment, type Overrides, type ResolvedEnvironment } from './config';
import { TodoCharts } from './todo';
import { EXTENSIONS } from './extensions';

/** Builds one environment's App in memory (tests use this and `app.synthYaml()` / `Testing`). */
export function buildApp(env: ResolvedEnvironment, outdir = path.join('dist', env.name)): { app: App; charts: TodoCharts } {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml' });
  const charts = new TodoCharts(app, env);
  for (const extend of EXTENSIONS[env.name] ?? []) extend(charts, env);
  return { app, charts };
}

export function synthesizeAll(outRoot: string, names: readonly string[] = ENVIRONMENT_NAMES, overrides: Overrides = {}): string[] {
  const envs = names.map((n) => resolveEnvironment(n, overrides)); // throws before any write
  fs.mkdirSync(outRoot, { recursive: true });
  const written: string[] = [];
  for (const env of envs) {
    const final = path.join(outRoot, env.name);
    const tmp = fs.mkdtempSync(path.join(outRoot, `.${env.name}-`));
    try {
      fs.chmodSync(tmp, 0o755);
      buildApp(env, tmp).app.synth();
      fs.rmSync(final, { recursive: true, force: true });
      fs.renameSync(tmp, final);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    written.push(final);
  }
  return written;
}
