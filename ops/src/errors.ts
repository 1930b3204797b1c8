/**
 * The two kinds of failure the CLI reports. Each carries the one message printed on stderr.
 *   UsageError  exit 2: the command line is wrong (unknown command, option or environment).
 *   OpsError    exit 1: a check or an operation failed (no kubectl, no cluster, missing Secret, ...).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class OpsError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'OpsError';
  }
}
