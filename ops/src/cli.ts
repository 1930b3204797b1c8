/**
 * The ops tool: Helm's release lifecycle on top of kubectl for the todo app.
 *   npm run ops -- <command> --env NAME [options]      (see `npm run ops -- --help`, docs/operations.md)
 * This file only parses the arguments, builds the dependencies and dispatches; the commands live in
 * ./commands, the logic in one module per concern.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { ConfigError, overridesFromEnv, resolveEnvironment } from '../../charts/config';
import { COMMANDS, parseArgs, usage, type ParsedArgs } from './args';
import { HANDLERS } from './commands';
import type { Deps } from './context';
import { OpsError, UsageError } from './errors';
import { SpawnKubectl, SpawnPrograms } from './exec';
import { logFormat, PinoLog, type LogFormat } from './log';
import { requireKubectl } from './preflight';
import { ScriptSynthesizer } from './synth';

export function defaultDeps(args: ParsedArgs, format: LogFormat): Deps {
  return {
    kubectl: new SpawnKubectl({ context: args.context, kubeconfig: args.kubeconfig }),
    programs: new SpawnPrograms(),
    log: new PinoLog({ format, command: args.command }),
    synthesizer: new ScriptSynthesizer(),
    sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
    now: () => new Date(),
    randomBytes: (n) => randomBytes(n),
    readStdin: () => fs.readFileSync(0, 'utf8'),
    processEnv: process.env,
  };
}

/** Runs one command line; returns the exit code (0 ok, 1 failure, 2 usage). */
export function main(argv: readonly string[], makeDeps: (args: ParsedArgs, format: LogFormat) => Deps = defaultDeps): number {
  let args: ParsedArgs;
  let format: LogFormat = 'pretty';
  try {
    format = logFormat(process.env);
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      new PinoLog({ format }).error(e.message);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${usage(args.command === 'help' ? undefined : args.command)}\n`);
    return 0;
  }
  const deps = makeDeps(args, format);
  try {
    // Every command that talks to the cluster drives kubectl: say at once when it is missing.
    if (!COMMANDS[args.command].offline) requireKubectl(deps.programs);
    const env = resolveEnvironment(args.env, overridesFromEnv(deps.processEnv));
    return HANDLERS[args.command]({ ...deps, env, args });
  } catch (e) {
    if (e instanceof UsageError || e instanceof OpsError) {
      deps.log.error(`${args.command}: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      deps.log.error(`${args.command}: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    deps.synthesizer.cleanup();
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
