/**
 * Running programs. Everything the tool does to a cluster goes through the `Kubectl` interface;
 * other programs (git, minikube, kind, docker, trivy) through `Programs`. Tests inject fakes that
 * record every invocation (argv and stdin) and return canned output.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OpsError } from './errors';

export interface RunOptions {
  /** Written to the child's stdin. Secret values travel only this way, never on a command line. */
  stdin?: string;
  /**
   * Let the child write to the terminal instead of capturing its output ('stdout': results such as
   * `kubectl diff`; 'stderr': progress such as `kubectl rollout status`). Its stderr is shown too.
   */
  stream?: 'stdout' | 'stderr';
  /** Kill the child after this many milliseconds (its exit code is then reported as 124). */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl, with the global flags (--context, --kubeconfig) already chosen. Never throws on a non-zero exit. */
export interface Kubectl {
  run(args: readonly string[], opts?: RunOptions): RunResult;
}

/** Other programs on the PATH. */
export interface Programs {
  has(program: string): boolean;
  run(program: string, args: readonly string[], opts?: RunOptions): RunResult;
}

export interface KubectlGlobals {
  context?: string;
  kubeconfig?: string;
}

/** The argv of one kubectl call: the global flags first, then the command's own. */
export function kubectlArgv(globals: KubectlGlobals, args: readonly string[]): string[] {
  return [
    ...(globals.kubeconfig ? [`--kubeconfig=${globals.kubeconfig}`] : []),
    ...(globals.context ? [`--context=${globals.context}`] : []),
    ...args,
  ];
}

/** The path of `program` on PATH, or undefined. */
export function findOnPath(program: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function spawn(program: string, argv: readonly string[], opts: RunOptions = {}): RunResult {
  const streamTo = opts.stream === 'stdout' ? 1 : opts.stream === 'stderr' ? 2 : 'pipe';
  const r = spawnSync(program, argv, {
    input: opts.stdin ?? '',
    encoding: 'utf8',
    stdio: ['pipe', streamTo, opts.stream ? 2 : 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OpsError(`${program} is not installed or not on PATH`);
    if (code === 'ETIMEDOUT') return { code: 124, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${program} timed out` };
    throw new OpsError(`could not run ${program}: ${r.error.message}`);
  }
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export class SpawnKubectl implements Kubectl {
  constructor(private readonly globals: KubectlGlobals = {}) {}
  run(args: readonly string[], opts?: RunOptions): RunResult {
    return spawn('kubectl', kubectlArgv(this.globals, args), opts);
  }
}

export class SpawnPrograms implements Programs {
  has(program: string): boolean {
    return findOnPath(program) !== undefined;
  }
  run(program: string, args: readonly string[], opts?: RunOptions): RunResult {
    return spawn(program, args, opts);
  }
}

/** The first line of a program's error output, for one-line messages. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}
