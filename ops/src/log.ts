/**
 * Output of the tool. Progress and diagnostics go to stderr, results (status tables, history, diff
 * summaries) to stdout. Tests capture everything through `MemoryLog`.
 */
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

export class ConsoleLog implements Log {
  step(message: string): void {
    process.stderr.write(`==> ${message}\n`);
  }
  info(message: string): void {
    process.stderr.write(`${message}\n`);
  }
  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }
  out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  error(message: string): void {
    process.stderr.write(`ops: ${message}\n`);
  }
}

export class MemoryLog implements Log {
  readonly lines: string[] = [];
  step(message: string): void {
    this.lines.push(`==> ${message}`);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  out(text: string): void {
    this.lines.push(text);
  }
  error(message: string): void {
    this.lines.push(`ops: ${message}`);
  }
  get text(): string {
    return this.lines.join('\n');
  }
}
