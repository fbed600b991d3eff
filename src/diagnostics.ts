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

/**
 * Prints diagnostics as they come, at most `perFile` per file and code
 * (the rest are counted and summarised by `flush`). Info-level ones only when verbose.
 */
export class DiagnosticPrinter {
  private readonly seen = new Map<string, number>();
  private readonly hidden = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly chalk: ChalkInstance | null,
    private readonly opts: { verbose: boolean; quiet: boolean; perFile: number },
  ) {}

  print(d: Diagnostic): void {
    if (this.opts.quiet && d.severity !== "error") return;
    if (d.severity === "info" && !this.opts.verbose) return;
    const key = `${d.file}\0${d.code}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    if (!this.opts.verbose && n > this.opts.perFile) {
      this.hidden.set(key, (this.hidden.get(key) ?? 0) + 1);
      return;
    }
    this.write(formatDiagnostic(d, this.chalk) + "\n");
  }

  flush(): void {
    for (const [key, n] of this.hidden) {
      const [file, code] = key.split("\0");
      this.write(`natlens: ${visible(file!)}: ...and ${n} more [${code}] (use --verbose to see all)\n`);
    }
    this.hidden.clear();
  }
}
