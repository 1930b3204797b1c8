/**
 * Output of the tool. Progress and diagnostics are log records (pino) on stderr; results (status
 * tables, history, diff summaries) are the command's output on stdout, not logs. Tests capture
 * everything through `MemoryLog`.
 *
 * The records have pino's levels and the servers' fields (`level` as a label, ISO `time`,
 * `service`, `msg`; here also `command`, and `step: true` on the step lines). On stderr they are
 * printed for people by pino-pretty, one line per record, exactly as the docs show them
 * (`==> step`, `warning: ...`, `ops: <command>: <error>`), also when stderr is a file or a pipe:
 * CI scripts read that text. TODO_OPS_LOG_FORMAT=json prints the JSON records instead.
 */
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { UsageError } from './errors';

export interface Log {
  /** A step of a longer operation: "==> applying ...". */
  step(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Result output (stdout). */
  out(text: string): void;
  /** The one message of a failed command (stderr). */
  error(message: string): void;
}

/** The prefix of each kind of line in the human format (and in MemoryLog). */
export const PREFIX = { step: '==> ', info: '', warn: 'warning: ', error: 'ops: ' } as const;

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function logFormat(processEnv: Record<string, string | undefined>): LogFormat {
  const value = processEnv.TODO_OPS_LOG_FORMAT;
  if (value === undefined || value === '') return 'pretty';
  if (!(LOG_FORMATS as readonly string[]).includes(value)) throw new UsageError(`TODO_OPS_LOG_FORMAT must be ${LOG_FORMATS.join(' or ')}, not "${value}"`);
  return value as LogFormat;
}

/** One record as one human line (the level and the step flag choose the prefix; other fields are hidden). */
const prettify = prettyFactory({
  colorize: false,
  hideObject: true,
  ignore: 'level,time,pid,hostname,service,command,step',
  messageFormat: (record, messageKey) => {
    const kind = record.step ? 'step' : (record.level as keyof typeof PREFIX);
    return `${PREFIX[kind] ?? ''}${String(record[messageKey])}`;
  },
});

export interface Writer {
  write(text: string): unknown;
}

export class PinoLog implements Log {
  readonly logger: Logger;

  /** `stderr` and `stdout` are injectable for tests; writes are synchronous so lines interleave correctly with kubectl's own output. */
  constructor(
    opts: { format?: LogFormat; command?: string } = {},
    private readonly stdout: Writer = process.stdout,
    stderr: Writer = process.stderr,
  ) {
    const destination = opts.format === 'json' ? stderr : { write: (line: string) => stderr.write(prettify(line)) };
    this.logger = pino(
      {
        base: { service: 'ops', ...(opts.command && { command: opts.command }) },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      destination,
    );
  }
  step(message: string): void {
    this.logger.info({ step: true }, message);
  }
  info(message: string): void {
    this.logger.info(message);
  }
  warn(message: string): void {
    this.logger.warn(message);
  }
  out(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  error(message: string): void {
    this.logger.error(message);
  }
}

export class MemoryLog implements Log {
  readonly lines: string[] = [];
  step(message: string): void {
    this.lines.push(`${PREFIX.step}${message}`);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(`${PREFIX.warn}${message}`);
  }
  out(text: string): void {
    this.lines.push(text);
  }
  error(message: string): void {
    this.lines.push(`${PREFIX.error}${message}`);
  }
  get text(): string {
    return this.lines.join('\n');
  }
}
