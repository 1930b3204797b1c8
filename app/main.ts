/**
 * cdk8s entry point: synthesizes every environment (or those named with --env) into dist/<env>/.
 * Thin on purpose: configuration lives in charts/config, the charts in charts/.
 *
 *   node scripts/synth.mjs [--env NAME]... [--outdir DIR] [--image-registry R] [--image-tag T]
 *                          [--backend-image REF] [--frontend-image REF] [--ingress-host HOST]
 * Environment variables TODO_IMAGE_REGISTRY, TODO_IMAGE_TAG, TODO_BACKEND_IMAGE, TODO_FRONTEND_IMAGE,
 * TODO_INGRESS_HOST do the same; flags win. All but the tag apply only with --env.
 *
 * Under the cdk8s CLI (`cdk8s synth`, which sets CDK8S_OUTDIR): the CLI empties its output directory
 * before it starts the app, and prints a stack trace when the app exits non-zero. cdk8s.yaml therefore
 * gives the CLI a scratch directory (app/cdk8s-cli.ts); the app writes dist/ itself, atomically, and
 * copies it there for the CLI's listing. On a bad configuration it prints its one line and exits 0
 * without creating the CLI's directory, which the CLI reports as a failed synthesis (exit 1, no stack
 * trace); the previous dist/ is untouched. (`cdk8s synth --output DIR` writes DIR, which the CLI has
 * emptied first.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, OVERRIDE_VARIABLES, overridesFromEnv, type Overrides } from '../charts/config';
import { synthesizeAll } from '../charts/synth';
import { isScratch, runByCdk8sCli } from './cdk8s-cli';

const DEFAULT_OUTDIR = 'dist';

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): { envs: string[]; outdir: string; overrides: Overrides } {
  const envs: string[] = [];
  const cliOut = env.CDK8S_OUTDIR;
  let outdir = cliOut && !isScratch(cliOut) ? cliOut : DEFAULT_OUTDIR;
  const overrides: Overrides = overridesFromEnv(env);
  const byFlag = new Map(Object.entries(OVERRIDE_VARIABLES).map(([k, v]) => [v.flag, k as keyof Overrides]));
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new ConfigError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--env') envs.push(...value().split(','));
    else if (flag === '--outdir') outdir = value();
    else if (byFlag.has(flag)) overrides[byFlag.get(flag)!] = value();
    else throw new ConfigError(`unknown option ${flag} (options: --env, --outdir, ${[...byFlag.keys()].join(', ')})`);
  }
  return { envs, outdir, overrides };
}

function main(argv = process.argv.slice(2), env = process.env): number {
  const underCli = runByCdk8sCli(env);
  try {
    const { envs, outdir, overrides } = parseArgs(argv, env);
    const written = synthesizeAll(outdir, envs.length ? envs : undefined, overrides);
    if (!env.TODO_SYNTH_QUIET) console.log(`synthesized ${written.map((d) => path.relative(process.cwd(), d) || d).join(', ')}`);
    if (underCli && path.resolve(outdir) !== path.resolve(env.CDK8S_OUTDIR!)) {
      // the CLI lists (and would validate) what it finds in its output directory: a copy of what was written
      for (const dir of written) fs.cpSync(dir, path.join(env.CDK8S_OUTDIR!, path.basename(dir)), { recursive: true });
    }
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`synth: ${e.message}`);
      return underCli ? 0 : 1; // under the CLI, an absent output directory is the failure signal (see above)
    }
    throw e;
  }
}

process.exitCode = main();
