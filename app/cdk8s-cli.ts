/**
 * What app/main.ts needs to know about the cdk8s CLI (`cdk8s synth`): it empties its output directory
 * before it starts the app and prints a stack trace when the app exits non-zero, so cdk8s.yaml gives
 * it a scratch directory and the app writes dist/ itself (see app/main.ts).
 */
import path from 'node:path';

/** The output directory cdk8s.yaml gives the CLI (it empties it); a test checks the two agree. */
export const CLI_SCRATCH_DIR = '.build/cdk8s-cli';

/** Whether the cdk8s CLI started this process: it sets both variables when it runs the app. */
export function runByCdk8sCli(env: NodeJS.ProcessEnv): boolean {
  return env.CDK8S_OUTDIR !== undefined && env.CDK8S_RECORD_CONSTRUCT_METADATA !== undefined;
}

/** The CLI's output directory when it is the scratch directory (the app then writes dist/ instead). */
export function isScratch(dir: string): boolean {
  return path.resolve(dir) === path.resolve(CLI_SCRATCH_DIR);
}
