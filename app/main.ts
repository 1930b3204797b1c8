/**
 * cdk8s entry point: synthesizes every environment (or those named with --env) into dist/<env>/.
 * Thin on purpose: configuration lives in charts/config, the charts in charts/.
 *
 *   node scripts/synth.mjs [--env NAME]... [--outdir DIR] [--image-registry R] [--image-tag T]
 *                          [--backend-image REF] [--frontend-image REF] [--ingress-host HOST]
 * Environment variables TODO_IMAGE_REGISTRY, TODO_IMAGE_TAG, TODO_BACKEND_IMAGE, TODO_FRONTEND_IMAGE,
 * TODO_INGRESS_HOST do the same; flags win.
 */
import path from 'node:path';
import { ConfigError, ENVIRONMENT_NAMES, OVERRIDE_VARIABLES, overridesFromEnv, type Overrides } from '../charts/config';
import { synthesizeAll } from '../charts/synth';

function parseArgs(argv: string[]): { envs: string[]; outdir: string; overrides: Overrides } {
  const envs: string[] = [];
  let outdir = process.env.CDK8S_OUTDIR || 'dist';
  const overrides: Overrides = overridesFromEnv(process.env);
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
  return { envs: envs.length ? envs : ENVIRONMENT_NAMES, outdir, overrides };
}

export function main(argv = process.argv.slice(2)): number {
  try {
    const { envs, outdir, overrides } = parseArgs(argv);
    const written = synthesizeAll(outdir, envs, overrides);
    if (!process.env.TODO_SYNTH_QUIET) console.log(`synthesized ${written.map((d) => path.relative(process.cwd(), d) || d).join(', ')}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`synth: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main();
