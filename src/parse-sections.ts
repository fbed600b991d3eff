/**
 * The read side of a possibly pasted input, for the parse driver (parse.ts):
 * the input cut into one section per command, each section's format detected
 * from its first lines and its lines handed to that format's line handler
 * (parse-line.ts), and the firewall rule dumps the sections hold.
 */
import type { FormatParser } from "./format.js";
import { DETECT_LINES } from "./format.js";
import { detect, MIN_SCORE, type Detection } from "./detect.js";
import { isBlank } from "./input/noise.js";
import { commandFormat, mayBeTranscriptLine, posterEdit, promptLine, startsSection, type PosterEdit } from "./input/transcript.js";
import { ruleDumpScope, type RuleDump, type RuleDumpFormat } from "./input/rule-dump.js";
import { FORMATS } from "./registry.js";
import { accountEdit, createLineHandler, cut, PROMPT_EDIT, promptKind } from "./parse-line.js";
import type { ParseSourceOptions } from "./parse.js";
import type { Diagnostic, InputSummary } from "./types.js";

/** Read lines for detection: a little more than DETECT_LINES, since noise lines are dropped first. */
export const HEAD_LINES = DETECT_LINES * 3;

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
export class Paste {
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
