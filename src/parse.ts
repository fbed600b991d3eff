/**
 * The parse driver: read -> detect -> parse for one input, with the line
 * accounting that guarantees nothing is dropped silently.
 */
import { DEFAULT_PARSE_OPTIONS, DETECT_LINES, type FormatParser, type LineParser, type ParseContext, type ParseOptions } from "./format.js";
import { createParseCaches } from "./context.js";
import { detect, formatById, MIN_SCORE, type Detection } from "./detect.js";
import { LineReader } from "./input/lines.js";
import { classifyNoise, isBlank, netnsFromPath } from "./input/noise.js";
import { textSource, type ByteSource } from "./input/read.js";
import { commandFormat, mayBeTranscriptLine, posterEdit, promptLine, startsSection, type PosterEdit, type PromptLine } from "./input/transcript.js";
import { ruleDumpCommandFromName, ruleDumpScope, type RuleDump, type RuleDumpFormat } from "./input/rule-dump.js";
import { FORMATS } from "./registry.js";
import type { Diagnostic, InputSummary, NatlensRecord } from "./types.js";

export interface ParseSourceOptions {
  /** Force a format id (the CLI's --type). */
  type?: string;
  options?: Partial<ParseOptions>;
  onRecord(record: NatlensRecord): void;
  onDiagnostic(diagnostic: Diagnostic): void;
  /** Each firewall rule dump the input holds (or an empty output of a rule-dump command): what it shows of the tables. */
  onRuleDump?(dump: RuleDump): void;
}

/** Read lines for detection: a little more than DETECT_LINES, since noise lines are dropped first. */
const HEAD_LINES = DETECT_LINES * 3;

function cut(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
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
  // no MANIFEST: a sosreport names a rule dump by its command (`iptables_-t_nat_-nvL`), which tells its table
  const command = source.command ?? (/(^|[/!])sos_commands\//.test(file) ? ruleDumpCommandFromName(file) : null);
  const paste = new Paste(file, summary, shared, source.explicit, forced, command);
  const overlong = reader.overlong;
  summary.lines = await reader.forEach((text, no) => {
    // a line too long to keep, or one holding NUL bytes in an otherwise text capture: skipped before anything reads it
    if (text.length === 0 && overlong.size > 0 && overlong.has(no)) skipLine(summary, diag, no, overlongLine(overlong.get(no)!, reader.maxLine));
    else if (text.includes("\0")) skipLine(summary, diag, no, nulLine(text));
    else paste.line(text, no);
  });
  paste.end(reader.hadBom, reader.hadCr);
  if (opts.onRuleDump) for (const d of paste.ruleDumps(command ?? ruleDumpCommandFromName(file), source.exit ?? null)) opts.onRuleDump(d);
  if (reader.encoding !== "utf-8") diag({ severity: "info", code: "I_UTF16", line: null, message: `decoded from ${reader.encoding.toUpperCase()} (a Windows or PowerShell capture)` });
  return summary;
}

/** A line skipped by the driver itself, before detection and parsing. */
interface DriverSkip {
  code: string;
  message: string;
  text: string;
  hint: string;
}

function skipLine(summary: InputSummary, diag: (d: Omit<Diagnostic, "file">) => void, no: number, s: DriverSkip): void {
  summary.skipped++;
  bump(summary.skippedBy, s.code);
  diag({ severity: "error", code: s.code, line: no, message: s.message, text: s.text, hint: s.hint });
}

/** A line longer than the limit (LineReader did not keep it). */
export function overlongLine(length: number, max: number): DriverSkip {
  return {
    code: "E_LINE_TOO_LONG",
    message: `line of ${length.toLocaleString("en-US")} characters is longer than the ${max.toLocaleString("en-US")} allowed: skipped unread`,
    text: "",
    hint: "no capture natlens reads has lines this long; if this one does, raise the limit with --max-line-bytes (e.g. --max-line-bytes 64M)",
  };
}

/** A line holding NUL bytes in a capture that is otherwise text. */
export function nulLine(text: string): DriverSkip {
  return {
    code: "E_NUL_BYTE",
    message: "line holds NUL bytes: skipped (the rest of the input is text)",
    text: cut(text),
    hint: "NUL runs come from a capture cut short by a crash or a disk error; the other lines are read",
  };
}

type Handler = ReturnType<typeof createLineHandler>;

const RULE_DUMP_FORMATS = new Set<string>(["iptables-save", "iptables-list", "nft"]);

/** One command's output in a pasted transcript (the whole input when it holds no command lines). */
interface Section {
  /** The command that printed it: a prompt line's, a leading `$ ` banner's, or the MANIFEST's (ctx.banner). */
  command: string | null;
  /**
   * The command written in the input above the output, a hint for detection.
   * A MANIFEST's command is not one: detection of collected files stays by content.
   */
  hint: string | null;
  /** Line of the command line, 0 when the section has none. */
  at: number;
  /** First line of the section, 0 before it has one. */
  first: number;
  /** Lines held until the format is decided: data, and poster edits to account in order. */
  held: { text: string; no: number; edit: PosterEdit | null }[];
  /** Non-blank lines held that are not poster edits. */
  data: number;
  handler: Handler | null;
  /** The format its lines are parsed as, once decided. */
  format: string | null;
  /** Lines of a section natlens does not read: counted once the section ends. */
  counted: number;
  outcome: "pending" | "parse" | "foreign" | "unknown" | "empty";
  foreign: Detection["foreign"];
  /** `$ command` banners inside the section, between concatenated captures of its format. */
  banners: { command: string; at: number }[];
  /**
   * Opened by a supportconfig entry header and not (yet) by the command or
   * file line below it: supportconfig's own text, or the output of a command
   * natlens does not know. Never detected by content.
   */
  header: boolean;
}

/**
 * The read side of a possibly pasted input: cuts it into one section per
 * command (src/input/transcript.ts recognises prompt and command lines),
 * detects each section's format from its first lines with the command as a
 * hint, and hands its lines to that format's line handler with their original
 * line numbers. Prompt lines are ignored (reason `prompt`), the poster's
 * elisions and notes skipped with info diagnostics. An input without command
 * lines is one section and reads exactly as before transcripts were known.
 */
class Paste {
  private readonly sections: Section[] = [];
  private cur: Section;
  private readonly formats = new Set<string>();
  /** Prompt or bare command lines seen (a `$ ` banner does not make a transcript). */
  private prompts = 0;

  constructor(
    private readonly file: string,
    private readonly summary: InputSummary,
    private readonly opts: ParseSourceOptions,
    private readonly explicit: boolean,
    private readonly forced: FormatParser | undefined,
    manifestCommand: string | null,
  ) {
    this.cur = this.open(manifestCommand, 0);
  }

  private diag(d: Omit<Diagnostic, "file">): void {
    this.opts.onDiagnostic({ file: this.file, ...d });
  }

  private open(command: string | null, at: number): Section {
    const s: Section = { command, hint: at > 0 ? command : null, at, first: 0, held: [], data: 0, handler: null, format: null, counted: 0, outcome: "pending", foreign: null, banners: [], header: false };
    this.sections.push(s);
    return s;
  }

  readonly line = (text: string, no: number): void => {
    const s = this.cur;
    if (mayBeTranscriptLine(text)) {
      const p = promptLine(text);
      if (p) {
        if (p.style === "banner" && s.data === 0 && p.command !== "" && s.at === 0) {
          // a `$ command` banner on top: the handler reads it as before (ctx.banner)
          s.command = s.hint = p.command;
          s.at = no;
          return this.feed(s, text, no, null);
        }
        if (startsSection(p, p.style === "banner" ? this.formatOf(s) : undefined)) {
          this.close(s);
          this.cur = this.open(p.command, no);
          this.cur.header = p.style === "header";
          if (p.style === "banner") return this.feed(this.cur, text, no, null);
        } else if (p.style === "banner" && p.command !== "") {
          // a `$ command` banner between concatenated captures of one format: the parser reads it
          s.banners.push({ command: p.command, at: no });
          return this.feed(s, text, no, null);
        }
        this.prompts++;
        return this.feed(this.cur, text, no, PROMPT_EDIT[promptKind(p)]!);
      }
      const e = posterEdit(text);
      if (e) return this.feed(s, text, no, e);
    }
    this.feed(s, text, no, null);
  };

  private feed(s: Section, text: string, no: number, edit: PosterEdit | null): void {
    if (s.first === 0) s.first = no;
    if (s.outcome === "pending") {
      s.held.push({ text, no, edit });
      if (!edit && !isBlank(text)) s.data++;
      if (s.held.length >= HEAD_LINES) this.decide(s, false);
      return;
    }
    this.pass(s, text, no, edit);
  }

  /** Hand one line to the section's handler, or account it. */
  private pass(s: Section, text: string, no: number, edit: PosterEdit | null): void {
    if (edit) accountEdit(this.summary, this.opts.onDiagnostic, this.file, edit, text, no);
    else if (s.handler) s.handler.line(text, no);
    else s.counted++;
  }

  /** The section's format: decided, or what its lines so far look like; null when they are no format natlens reads. */
  private formatOf(s: Section): string | null {
    if (s.outcome !== "pending") return s.format;
    if (this.forced) return this.forced.id;
    const lines: string[] = [];
    for (const h of s.held) if (!h.edit) lines.push(h.text);
    return detect(lines, FORMATS, s.hint).format?.id ?? null;
  }

  /** Choose the section's format from its held lines, then release them. */
  private decide(s: Section, final: boolean): void {
    const lines: string[] = [];
    for (const h of s.held) if (!h.edit) lines.push(h.text);
    let format: FormatParser | undefined = this.forced;
    let by: InputSummary["detectedBy"] = "type-option";
    let score = 1;
    if (!format && s.header) {
      s.outcome = lines.every(isBlank) ? "empty" : "unknown";
    } else if (!format) {
      const d = detect(lines, FORMATS, s.hint);
      if (d.format) {
        format = d.format;
        by = d.by === "command" ? "command" : "content";
        score = Math.round(d.score * 100) / 100;
        const runnerUp = d.candidates.find((c) => c.id !== d.format!.id);
        if (d.by === "content" && runnerUp && runnerUp.score >= MIN_SCORE && d.score - runnerUp.score < 0.1) {
          this.diag({
            severity: "warning",
            code: "W_AMBIGUOUS_FORMAT",
            line: null,
            message: `content looks like ${d.format.id} (${d.score.toFixed(2)}) but also like ${runnerUp.id} (${runnerUp.score.toFixed(2)})`,
            hint: `pass --type ${runnerUp.id} if ${d.format.id} is wrong`,
          });
        }
      } else if (d.foreign) {
        s.outcome = "foreign";
        s.foreign = d.foreign;
      } else if (lines.every(isBlank) && (final || s.held.length < HEAD_LINES)) {
        s.outcome = "empty";
      } else {
        s.outcome = "unknown";
      }
    }
    if (format) {
      s.outcome = "parse";
      this.formats.add(format.id);
      if (this.summary.format === null) {
        this.summary.format = format.id;
        this.summary.detectedBy = by;
        this.summary.score = score;
      } else if (this.summary.format !== format.id) this.summary.format = "transcript";
      s.format = format.id;
      s.handler = createLineHandler(this.file, format, this.summary, this.opts, s.command, true);
    }
    const held = s.held;
    s.held = [];
    for (const h of held) this.pass(s, h.text, h.no, h.edit);
  }

  private close(s: Section): void {
    if (s.outcome === "pending") this.decide(s, true);
    if (s.handler) s.handler.end(false, false);
  }

  end(hadBom: boolean, hadCr: boolean): void {
    this.close(this.cur);
    const transcript = this.prompts > 0 || this.sections.length > 1;
    /** supportconfig entries with nothing natlens reads: one line for all of them. */
    const entries = { n: 0, lines: 0, first: 0 };
    for (const s of this.sections) {
      if (s.outcome === "parse" || s.outcome === "pending") continue;
      if (s.header && s.outcome === "unknown") {
        this.count(s.counted, false, "other-command");
        entries.n++;
        entries.lines += s.counted;
        entries.first ||= s.at;
        continue;
      }
      const n = s.counted;
      const range = n > 0 && transcript ? ` (${n} line${n === 1 ? "" : "s"}${s.at ? ` below line ${s.at}` : ""})` : "";
      if (s.outcome === "foreign") {
        this.count(n, this.explicit, "unrecognised");
        this.diag({ severity: this.explicit ? "error" : "warning", code: "E_FOREIGN_FORMAT", line: transcript && s.at ? s.at : null, message: `${s.foreign!.what} is not supported${range}`, hint: s.foreign!.hint });
      } else if (s.outcome === "empty") {
        this.count(n, false, "blank");
        if (!transcript) this.diag({ severity: "info", code: "I_EMPTY", line: null, message: "empty input: nothing to parse" });
      } else if (transcript && s.hint && commandFormat(s.hint) === null) {
        // `docker run ...` and its container id, `curl ...` and its reply
        this.count(n, false, "other-command");
        this.diag({ severity: "info", code: "I_OTHER_COMMAND", line: s.at || null, message: `output of \`${cut(s.hint, 60)}\` is not a capture natlens reads; ignored${range}` });
      } else if (transcript) {
        this.count(n, false, "unrecognised");
        this.diag({ severity: "info", code: "I_UNKNOWN_TEXT", line: s.first || null, message: `text of the paste that is no capture natlens reads; ignored${range}`, hint: "natlens reads the output of the commands `natlens formats` lists" });
      } else {
        this.count(n, this.explicit, "unrecognised");
        if (this.explicit) {
          this.diag({ severity: "error", code: "E_UNKNOWN_FORMAT", line: null, message: "format not recognised from its content", hint: "run `natlens formats` to see what natlens reads, or force one with --type" });
        } else {
          this.diag({ severity: "info", code: "I_UNKNOWN_FORMAT", line: null, message: "not a format natlens reads; its lines are ignored" });
        }
      }
    }
    if (entries.n > 0) {
      const lines = `${entries.lines} line${entries.lines === 1 ? "" : "s"}`;
      this.diag({ severity: "info", code: "I_SUPPORTCONFIG_ENTRY", line: entries.first, message: `${entries.n} supportconfig entr${entries.n === 1 ? "y" : "ies"} whose command or file natlens does not read ignored (${lines})` });
    }
    if (hadBom) this.diag({ severity: "info", code: "I_BOM", line: 1, message: "UTF-8 byte-order mark removed" });
    if (hadCr) this.diag({ severity: "info", code: "I_CRLF", line: null, message: "CR LF line ends converted" });
  }

  /**
   * The firewall rule dumps among the sections, with what each shows of the
   * tables (src/input/rule-dump.ts): from its command, or for the only section
   * of an input, from `command` (the MANIFEST's, or the one the file name
   * stands for); a dump without a command is taken as its format's default
   * (`iptables-save`: its family's every table; `nft list ruleset`; an
   * `iptables -L` listing: the tables it lists).
   */
  ruleDumps(command: string | null, exit: number | null): RuleDump[] {
    const out: RuleDump[] = [];
    const only = this.sections.length === 1;
    for (const s of this.sections) {
      const cmd = s.command ?? (only ? command : null);
      const scope = cmd !== null ? ruleDumpScope(cmd) : null;
      const line = s.at || s.first || 1;
      const ex = only ? exit : null;
      if (s.outcome === "parse" && s.format !== null && RULE_DUMP_FORMATS.has(s.format)) {
        const format = s.format as RuleDumpFormat;
        const sc = scope ?? { format, family: null, tables: format === "iptables-list" ? [] : "all" };
        out.push({ ...sc, format, file: this.file, line, command: scope ? cmd : null, empty: false, exit: ex });
        // concatenated dumps, each under its `$ command` banner
        for (const b of s.banners) {
          const bs = ruleDumpScope(b.command);
          if (bs) out.push({ ...bs, format, file: this.file, line: b.at, command: b.command, empty: false, exit: null });
        }
      } else if (s.outcome === "empty" && scope !== null) {
        out.push({ ...scope, file: this.file, line, command: cmd, empty: true, exit: ex });
      }
    }
    return out;
  }

  private count(n: number, asSkipped: boolean, reason: string): void {
    if (n === 0) return;
    const sum = this.summary;
    if (asSkipped) {
      sum.skipped += n;
      sum.skippedBy[reason] = (sum.skippedBy[reason] ?? 0) + n;
    } else {
      sum.ignored += n;
      sum.ignoredBy[reason] = (sum.ignoredBy[reason] ?? 0) + n;
    }
  }
}

/** Account a prompt line or a poster's edit: prompts and code fences are ignored, elisions and notes skipped; an info diagnostic each. */
function accountEdit(summary: InputSummary, onDiagnostic: (d: Diagnostic) => void, file: string, edit: PosterEdit, text: string, no: number): void {
  if (edit.kind === "elision" || edit.kind === "note") {
    summary.skipped++;
    bump(summary.skippedBy, edit.code);
  } else {
    summary.ignored++;
    bump(summary.ignoredBy, edit.kind);
  }
  onDiagnostic({ file, severity: "info", code: edit.code, line: no, message: edit.message, text: cut(text) });
}

/**
 * The prompt or poster's edit a line is (a `$ command` banner is not: the
 * format's parser reads those), else null.
 */
function pasteEdit(text: string): { edit: PosterEdit; command: string } | null {
  if (!mayBeTranscriptLine(text)) return null;
  const p = promptLine(text);
  if (p) {
    if (p.style === "banner" && p.command !== "") return null;
    return { edit: PROMPT_EDIT[promptKind(p)]!, command: p.command };
  }
  const e = posterEdit(text);
  return e ? { edit: e, command: "" } : null;
}

function promptKind(p: PromptLine): string {
  return p.style === "bare" || p.style === "header" ? p.style : p.command === "" ? "empty" : "prompt";
}

const PROMPT_EDIT: Record<string, PosterEdit> = {
  header: { kind: "prompt", code: "I_SECTION_HEADER", message: "supportconfig entry header: the line below names the command or file" },
  prompt: { kind: "prompt", code: "I_PROMPT", message: "shell prompt and command line of the paste: the command names the capture below it" },
  empty: { kind: "prompt", code: "I_PROMPT", message: "bare shell prompt of the paste, ignored" },
  bare: { kind: "prompt", code: "I_COMMAND_LINE", message: "command line of the paste: it names the capture below it" },
};

/**
 * The per-line half of the driver, for an input whose format is known: blank
 * and noise lines are accounted here, every other line goes to the format's
 * LineParser. parseSource uses it; a byte-level fast path (src/fast/) hands it
 * the lines it does not take itself, so both paths account the same way.
 */
export function createLineHandler(
  file: string,
  format: FormatParser,
  summary: InputSummary,
  opts: Pick<ParseSourceOptions, "options" | "onRecord" | "onDiagnostic">,
  /** The producing command when known from elsewhere (a bundle MANIFEST); a banner in the file wins. */
  command: string | null = null,
  /**
   * The caller took prompt lines and poster's edits out already (the sectioning
   * driver, Paste): the handler does not look for them again on every line.
   */
  sectioned = false,
): { line(text: string, no: number): void; overlong(no: number, length: number, max: number): void; end(hadBom: boolean, hadCr: boolean): void; parser: LineParser } {
  const diag = (d: Omit<Diagnostic, "file">) => opts.onDiagnostic({ file, ...d });
  let banner: string | null = command;
  const options: ParseOptions = { ...DEFAULT_PARSE_OPTIONS, ...opts.options };
  const ctx: ParseContext = {
    file,
    netns: netnsFromPath(file),
    get banner() {
      return banner;
    },
    options,
    caches: options.caches ?? createParseCaches(),
    emit(record) {
      summary.records++;
      opts.onRecord(record);
    },
    ignore(_line, reason) {
      summary.ignored++;
      bump(summary.ignoredBy, reason);
    },
    skip(line, code, message, text, hint) {
      summary.skipped++;
      bump(summary.skippedBy, code);
      diag({ severity: "error", code, line, message, text: cut(text), ...(hint ? { hint } : {}) });
    },
    report(severity, line, code, message, text, hint) {
      diag({ severity, code, line, message, ...(text !== undefined ? { text: cut(text) } : {}), ...(hint ? { hint } : {}) });
    },
  };

  const parser = format.create(ctx);
  let seenData = false;
  let noiseReported = 0;
  let last = 0;
  const line = (text: string, no: number) => {
    last = no;
    // the sectioning driver skips these before they get here; the /proc/net fast path's fallback does not
    if (!sectioned && text.includes("\0")) return skipLine(summary, diag, no, nulLine(text));
    if (isBlank(text)) {
      summary.ignored++;
      bump(summary.ignoredBy, "blank");
      return;
    }
    // Prompt lines and poster's edits that reach a handler directly (the /proc/net fast path's
    // fallback); the sectioning driver takes them before they get here.
    const pasted = sectioned ? null : pasteEdit(text);
    if (pasted) {
      if (pasted.command !== "") banner = pasted.command;
      accountEdit(summary, opts.onDiagnostic, file, pasted.edit, text, no);
      return;
    }
    // Continuation lines (ss -i) start with a tab; they are data, never noise.
    const noise = text.charCodeAt(0) === 9 ? null : classifyNoise(text, !seenData);
    if (noise) {
      if (noise.reason === "banner") banner = text.slice(2).trim();
      summary.ignored++;
      bump(summary.ignoredBy, noise.reason);
      if (noiseReported++ < 5) diag({ severity: "info", code: noise.code, line: no, message: noise.message, text: cut(text) });
      return;
    }
    seenData = true;
    try {
      parser.line(text, no);
    } catch (err) {
      ctx.skip(no, "E_INTERNAL", `parser ${format.id} failed on this line: ${(err as Error).message}`, text, "please report this line");
    }
  };
  const end = (hadBom: boolean, hadCr: boolean) => {
    try {
      parser.end();
    } catch (err) {
      ctx.skip(last, "E_INTERNAL", `parser ${format.id} failed at end of input: ${(err as Error).message}`, "", "please report this input");
    }
    if (hadBom) diag({ severity: "info", code: "I_BOM", line: 1, message: "UTF-8 byte-order mark removed" });
    if (hadCr) diag({ severity: "info", code: "I_CRLF", line: null, message: "CR LF line ends converted" });
  };
  const overlong = (no: number, length: number, max: number) => {
    last = no;
    skipLine(summary, diag, no, overlongLine(length, max));
  };
  return { line, overlong, end, parser };
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
