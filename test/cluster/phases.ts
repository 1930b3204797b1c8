/**
 * Phases of test/cluster/e2e.sh's continuous load, shared by traffic.ts (the load) and limits.ts (the
 * pods' restarts, OOM kills and memory): e2e.sh appends `<epoch ms> <phase>` to a marks file when a
 * phase begins; both attribute what they see to the phase that was current at the time.
 */
import fs from 'node:fs';

export interface Mark {
  at: number;
  phase: string;
}

export function readMarks(file: string): Mark[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => /^(\d+) (\S+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ at: Number(m[1]), phase: m[2] }));
}

/** The phase at time `t` (ms): that of the last mark at or before it; `before` ahead of the first. */
export function phaseAt(marks: readonly Mark[], t: number): string {
  let p = 'before';
  for (const m of marks) if (m.at <= t) p = m.phase;
  return p;
}

/** The current phase, re-reading the marks file at most every `everyMs`. */
export class PhaseClock {
  private marks: Mark[] = [];
  private readAt = 0;
  constructor(
    private readonly file: string | undefined,
    private readonly everyMs = 200,
  ) {}
  all(): Mark[] {
    if (this.file && Date.now() - this.readAt >= this.everyMs) {
      this.marks = readMarks(this.file);
      this.readAt = Date.now();
    }
    return this.marks;
  }
  now(): string {
    return phaseAt(this.all(), Date.now());
  }
}

/** The phases in the order they began (each once). */
export const phaseOrder = (marks: readonly Mark[]) => [...new Set(marks.map((m) => m.phase))];
