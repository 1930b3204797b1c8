/** What every command receives: the environment, the parsed options and the injected dependencies. */
import type { ResolvedEnvironment } from '../../charts/config';
import type { ParsedArgs } from './args';
import type { Kubectl, Programs } from './exec';
import type { Log } from './log';
import type { Synthesizer } from './synth';

export interface Deps {
  kubectl: Kubectl;
  programs: Programs;
  log: Log;
  synthesizer: Synthesizer;
  /** Blocks for `ms` milliseconds (polling). */
  sleep(ms: number): void;
  now(): Date;
  randomBytes(n: number): Buffer;
  /** The tool's own stdin (for --database-url-stdin). */
  readStdin(): string;
  processEnv: Record<string, string | undefined>;
}

export interface Ctx extends Deps {
  env: ResolvedEnvironment;
  args: ParsedArgs;
}
