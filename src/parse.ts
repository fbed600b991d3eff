/**
 * The parse driver: read -> detect -> parse for one input, with the line
 * accounting that guarantees nothing is dropped silently. Its two halves are
 * modules of their own: parse-sections.ts (the input cut into one section per
 * command of a pasted transcript, each section's format detected) and
 * parse-line.ts (the per-line accounting and the format's LineParser).
 */
import { formatById } from "./detect.js";
import { LineReader } from "./input/lines.js";
import { textSource, type ByteSource } from "./input/read.js";
import { ruleDumpCommandFromName, type RuleDump } from "./input/rule-dump.js";
import { createParseCaches } from "./context.js";
import type { ParseOptions } from "./format.js";
import { bump, nulLine, overlongLine, skipLine } from "./parse-line.js";
import { HEAD_LINES, Paste } from "./parse-sections.js";
import type { Diagnostic, InputSummary, NatlensRecord } from "./types.js";

export { createLineHandler, nulLine, overlongLine } from "./parse-line.js";

export interface ParseSourceOptions {
  /** Force a format id (the CLI's --type). */
  type?: string;
  options?: Partial<ParseOptions>;
  onRecord(record: NatlensRecord): void;
  onDiagnostic(diagnostic: Diagnostic): void;
  /** Each firewall rule dump the input holds (or an empty output of a rule-dump command): what it shows of the tables. */
  onRuleDump?(dump: RuleDump): void;
}

export async function parseSource(source: ByteSource, opts: ParseSourceOptions): Promise<InputSummary> {
  const file = source.name;
  const summary: InputSummary = {
    file,
    format: null,
    detectedBy: "none",
    score: 0,
    lines: 0,
    records: 0,
    ignored: 0,
    skipped: 0,
    ignoredBy: {},
    skippedBy: {},
  };
  const diag = (d: Omit<Diagnostic, "file">) => opts.onDiagnostic({ file, ...d });
  if (source.notes) {
    // An archive or bundle directory itself: what reading it found. An error (damage, a limit) skips part of the input.
    for (const n of source.notes) {
      diag({ severity: n.severity, code: n.code, line: null, message: n.message, ...(n.hint ? { hint: n.hint } : {}) });
      if (n.severity === "error") {
        summary.skipped++;
        bump(summary.skippedBy, n.code);
      }
    }
    return summary;
  }
  const reader = new LineReader(source);
  try {
    await reader.head(HEAD_LINES);
  } catch (err) {
    diag({ severity: "error", code: "E_READ", line: null, message: `cannot read input: ${(err as Error).message}` });
    summary.skippedBy["unreadable"] = 1;
    return summary;
  }
  const forced = opts.type ? formatById(opts.type) : undefined;
  if (!forced && reader.binary) {
    await countAll(reader, summary, source.explicit, "binary");
    diag({
      severity: source.explicit ? "error" : "warning",
      code: "E_BINARY",
      line: null,
      message: "binary content, not a text capture",
      hint: "natlens reads text captures and tar or zip archives of them (plain, gzip, xz, bzip2, zstd); this is neither",
    });
    return summary;
  }
  // one set of caches for every section of the input, as for one capture
  const shared = opts.options?.caches ? opts : { ...opts, options: { ...opts.options, caches: createParseCaches() } };
  // the command a file name stands for (a sosreport's `iptables_-t_nat_-nvL`, a collector's `iptables-save_-c`)
  const nameCommand = ruleDumpCommandFromName(file);
  // no MANIFEST: a sosreport names a rule dump by its command, which tells its table (and is the banner of its only section)
  const command = source.command ?? (/(^|[/!])sos_commands\//.test(file) ? nameCommand : null);
  const paste = new Paste(file, summary, shared, source.explicit, forced, command);
  const overlong = reader.overlong;
  summary.lines = await reader.forEach((text, no) => {
    // a line too long to keep, or one holding NUL bytes in an otherwise text capture: skipped before anything reads it
    if (text.length === 0 && overlong.size > 0 && overlong.has(no)) skipLine(summary, diag, no, overlongLine(overlong.get(no)!, reader.maxLine));
    else if (text.includes("\0")) skipLine(summary, diag, no, nulLine(text));
    else paste.line(text, no);
  });
  paste.end(reader.hadBom, reader.hadCr);
  if (opts.onRuleDump) for (const d of paste.ruleDumps(command ?? nameCommand, source.exit ?? null)) opts.onRuleDump(d);
  if (reader.encoding !== "utf-8") diag({ severity: "info", code: "I_UTF16", line: null, message: `decoded from ${reader.encoding.toUpperCase()} (a Windows or PowerShell capture)` });
  return summary;
}

async function countAll(reader: LineReader, summary: InputSummary, asSkipped: boolean, reason = "unrecognised"): Promise<void> {
  summary.lines = await reader.forEach(() => {});
  if (asSkipped) {
    summary.skipped = summary.lines;
    if (summary.lines) summary.skippedBy[reason] = summary.lines;
  } else {
    summary.ignored = summary.lines;
    if (summary.lines) summary.ignoredBy[reason] = summary.lines;
  }
}

export interface ParseResult {
  records: NatlensRecord[];
  diagnostics: Diagnostic[];
  summary: InputSummary;
}

/** Parse text in memory (library entry point): `parse(text, { type: "ss" })`. */
export async function parse(text: string | Buffer, opts: { file?: string; type?: string; options?: Partial<ParseOptions> } = {}): Promise<ParseResult> {
  const records: NatlensRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  const summary = await parseSource(textSource(opts.file ?? "<input>", text), {
    ...(opts.type ? { type: opts.type } : {}),
    ...(opts.options ? { options: opts.options } : {}),
    onRecord: (r) => records.push(r),
    onDiagnostic: (d) => diagnostics.push(d),
  });
  return { records, diagnostics, summary };
}
