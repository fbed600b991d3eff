/** Printing diagnostics: `natlens: file:line: severity: message [CODE]`, one per line, to stderr. */
import type { ChalkInstance } from "chalk";
import type { Diagnostic } from "./types.js";
import { visible } from "./safe-text.js";

export function formatDiagnostic(d: Diagnostic, chalk: ChalkInstance | null): string {
  // file names, messages and echoed lines carry input text: never let it reach the terminal raw
  const where = visible(d.line === null ? d.file : `${d.file}:${d.line}`);
  const sev = chalk ? (d.severity === "error" ? chalk.red(d.severity) : d.severity === "warning" ? chalk.yellow(d.severity) : chalk.dim(d.severity)) : d.severity;
  let out = `natlens: ${where}: ${sev}: ${visible(d.message)} [${d.code}]`;
  if (d.text !== undefined && d.text !== "") out += `\n    | ${visible(d.text)}`;
  if (d.hint) out += `\n    hint: ${visible(d.hint)}`;
  return out;
}

/** Diagnostics printed in full per run (without --verbose); the rest are counted. */
export const DIAGNOSTIC_BUDGET = 100;

/**
 * Prints diagnostics as they come, at most `perFile` per file and code, and
 * at most `budget` (DIAGNOSTIC_BUDGET) in the whole run: a glob matching
 * 90,000 unrecognised files prints a hundred and then one count per code,
 * not 90,000. `flush` prints the counts. Info-level ones only when verbose;
 * verbose prints everything. Machine outputs (JSON) keep every diagnostic.
 */
export class DiagnosticPrinter {
  private readonly seen = new Map<string, number>();
  private readonly hidden = new Map<string, number>();
  /** Past the budget: per code, how many and in how many files. */
  private readonly over = new Map<string, { n: number; files: Set<string> }>();
  private printed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly chalk: ChalkInstance | null,
    private readonly opts: { verbose: boolean; quiet: boolean; perFile: number; budget?: number },
  ) {}

  print(d: Diagnostic): void {
    if (this.opts.quiet && d.severity !== "error") return;
    if (d.severity === "info" && !this.opts.verbose) return;
    if (!this.opts.verbose && this.printed >= (this.opts.budget ?? DIAGNOSTIC_BUDGET)) {
      let o = this.over.get(d.code);
      if (!o) this.over.set(d.code, (o = { n: 0, files: new Set() }));
      o.n++;
      o.files.add(d.file);
      return;
    }
    const key = `${d.file}\0${d.code}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    if (!this.opts.verbose && n > this.opts.perFile) {
      this.hidden.set(key, (this.hidden.get(key) ?? 0) + 1);
      return;
    }
    this.printed++;
    this.write(formatDiagnostic(d, this.chalk) + "\n");
  }

  flush(): void {
    for (const [key, n] of this.hidden) {
      const [file, code] = key.split("\0");
      this.write(`natlens: ${visible(file!)}: ...and ${n} more [${code}] (use --verbose to see all)\n`);
    }
    this.hidden.clear();
    for (const [code, o] of this.over) {
      const files = o.files.size;
      this.write(`natlens: ...and ${o.n.toLocaleString("en-US")} more [${code}] in ${files.toLocaleString("en-US")} input${files === 1 ? "" : "s"} past the first ${this.printed} diagnostics (use --verbose to see all)\n`);
    }
    this.over.clear();
  }
}
