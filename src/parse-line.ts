/**
 * The per-line half of the parse driver (parse.ts): for an input whose format
 * is known, blank and noise lines, prompt lines and poster's edits are
 * accounted here and every other line goes to the format's LineParser; and the
 * lines the driver itself skips (too long, NUL bytes). The sectioning driver
 * (parse-sections.ts) and the byte-level fast paths (src/fast/) hand their
 * lines to createLineHandler, so every path accounts the same way.
 */
import { DEFAULT_PARSE_OPTIONS, type FormatParser, type LineParser, type ParseContext, type ParseOptions } from "./format.js";
import { createParseCaches } from "./context.js";
import { classifyNoise, isBlank, netnsFromPath, USAGE_ERROR } from "./input/noise.js";
import { mayBeTranscriptLine, posterEdit, promptLine, type PosterEdit, type PromptLine } from "./input/transcript.js";
import type { ParseSourceOptions } from "./parse.js";
import type { Diagnostic, InputSummary } from "./types.js";

export function cut(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** A line skipped by the driver itself, before detection and parsing. */
export interface DriverSkip {
  code: string;
  message: string;
  text: string;
  hint: string;
}

export function skipLine(summary: InputSummary, diag: (d: Omit<Diagnostic, "file">) => void, no: number, s: DriverSkip): void {
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

/** Account a prompt line or a poster's edit: prompts and code fences are ignored, elisions and notes skipped; an info diagnostic each. */
export function accountEdit(summary: InputSummary, onDiagnostic: (d: Diagnostic) => void, file: string, edit: PosterEdit, text: string, no: number): void {
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

export function promptKind(p: PromptLine): string {
  return p.style === "bare" || p.style === "header" ? p.style : p.command === "" ? "empty" : "prompt";
}

export const PROMPT_EDIT: Record<string, PosterEdit> = {
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
  /**
   * What the caller's own callbacks threw (convert --strict stops from onDiagnostic, a writer
   * fails in onRecord): it passes through the per-line catch below, which is for parser bugs.
   */
  let callerThrew: unknown = null;
  const callerDiag = (d: Diagnostic) => {
    try {
      opts.onDiagnostic(d);
    } catch (err) {
      callerThrew = err;
      throw err;
    }
  };
  const diag = (d: Omit<Diagnostic, "file">) => callerDiag({ file, ...d });
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
      try {
        opts.onRecord(record);
      } catch (err) {
        callerThrew = err;
        throw err;
      }
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
  /** Set when the command refused its options before any data: the rest is its usage text. */
  let usageText = false;
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
    if (usageText) {
      summary.ignored++;
      bump(summary.ignoredBy, "usage-text");
      return;
    }
    // Prompt lines and poster's edits that reach a handler directly (the /proc/net fast path's
    // fallback); the sectioning driver takes them before they get here.
    const pasted = sectioned ? null : pasteEdit(text);
    if (pasted) {
      if (pasted.command !== "") banner = pasted.command;
      accountEdit(summary, callerDiag, file, pasted.edit, text, no);
      return;
    }
    // Continuation lines (ss -i) start with a tab; they are data, never noise.
    const noise = text.charCodeAt(0) === 9 ? null : classifyNoise(text, !seenData);
    if (noise) {
      if (noise.reason === "banner") banner = text.slice(2).trim();
      summary.ignored++;
      bump(summary.ignoredBy, noise.reason);
      if (!seenData && USAGE_ERROR.test(text)) {
        usageText = true;
        diag({ severity: "warning", code: "W_USAGE_TEXT", line: no, message: "the command refused its options: the lines below are its usage text, not a capture (ignored)", text: cut(text), hint: "capture again with options it accepts (its usage text lists them), e.g. BusyBox netstat -tan without -p, or ss -tanp" });
        return;
      }
      if (noiseReported++ < 5) diag({ severity: "info", code: noise.code, line: no, message: noise.message, text: cut(text) });
      return;
    }
    seenData = true;
    try {
      parser.line(text, no);
    } catch (err) {
      if (err === callerThrew) throw err;
      ctx.skip(no, "E_INTERNAL", `parser ${format.id} failed on this line: ${(err as Error).message}`, text, "please report this line");
    }
  };
  const end = (hadBom: boolean, hadCr: boolean) => {
    try {
      parser.end();
    } catch (err) {
      if (err === callerThrew) throw err;
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
