/**
 * The parse driver: read -> detect -> parse for one input, with the line
 * accounting that guarantees nothing is dropped silently.
 */
import { DEFAULT_PARSE_OPTIONS, DETECT_LINES, type FormatParser, type LineParser, type ParseContext, type ParseOptions } from "./format.js";
import { createParseCaches } from "./context.js";
import { detect, formatById, MIN_SCORE } from "./detect.js";
import { LineReader } from "./input/lines.js";
import { classifyNoise, isBlank, netnsFromPath } from "./input/noise.js";
import { textSource, type ByteSource } from "./input/read.js";
import type { Diagnostic, InputSummary, NatlensRecord } from "./types.js";

export interface ParseSourceOptions {
  /** Force a format id (the CLI's --type). */
  type?: string;
  options?: Partial<ParseOptions>;
  onRecord(record: NatlensRecord): void;
  onDiagnostic(diagnostic: Diagnostic): void;
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
  const reader = new LineReader(source);
  let head: string[];
  try {
    head = await reader.head(HEAD_LINES);
  } catch (err) {
    diag({ severity: "error", code: "E_READ", line: null, message: `cannot read input: ${(err as Error).message}` });
    summary.skippedBy["unreadable"] = 1;
    return summary;
  }

  let format: FormatParser | undefined;
  if (opts.type) {
    format = formatById(opts.type);
    summary.detectedBy = "type-option";
    summary.score = 1;
  } else if (reader.binary) {
    format = undefined;
  } else {
    const d = detect(head);
    if (d.format) {
      format = d.format;
      summary.detectedBy = "content";
      summary.score = Math.round(d.score * 100) / 100;
      const runnerUp = d.candidates[1];
      if (runnerUp && runnerUp.score >= MIN_SCORE && d.score - runnerUp.score < 0.1) {
        diag({
          severity: "warning",
          code: "W_AMBIGUOUS_FORMAT",
          line: null,
          message: `content looks like ${d.format.id} (${d.score.toFixed(2)}) but also like ${runnerUp.id} (${runnerUp.score.toFixed(2)})`,
          hint: `pass --type ${runnerUp.id} if ${d.format.id} is wrong`,
        });
      }
    } else if (d.foreign) {
      summary.format = null;
      await countAll(reader, summary, source.explicit);
      diag({
        severity: source.explicit ? "error" : "warning",
        code: "E_FOREIGN_FORMAT",
        line: null,
        message: `${d.foreign.what} is not supported`,
        hint: d.foreign.hint,
      });
      return summary;
    }
  }

  if (!format && !reader.binary && head.every(isBlank) && head.length < HEAD_LINES) {
    // Nothing but blank lines: an empty capture (a command with no output) is not an error.
    await countAll(reader, summary, false, "blank");
    diag({ severity: "info", code: "I_EMPTY", line: null, message: "empty input: nothing to parse" });
    return summary;
  }
  if (!format) {
    const binary = reader.binary;
    await countAll(reader, summary, source.explicit, binary ? "binary" : "unrecognised");
    if (source.explicit || binary) {
      diag({
        severity: source.explicit ? "error" : "warning",
        code: binary ? "E_BINARY" : "E_UNKNOWN_FORMAT",
        line: null,
        message: binary ? "binary content, not a text capture" : "format not recognised from its content",
        hint: binary
          ? "natlens reads text captures; unpack archives first"
          : "run `natlens formats` to see what natlens reads, or force one with --type",
      });
    } else {
      diag({
        severity: "info",
        code: "I_UNKNOWN_FORMAT",
        line: null,
        message: "not a format natlens reads; its lines are ignored",
      });
    }
    return summary;
  }
  summary.format = format.id;
  const handler = createLineHandler(file, format, summary, opts, source.command ?? null);
  summary.lines = await reader.forEach(handler.line);
  handler.end(reader.hadBom, reader.hadCr);
  return summary;
}

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
): { line(text: string, no: number): void; end(hadBom: boolean, hadCr: boolean): void; parser: LineParser } {
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
    if (isBlank(text)) {
      summary.ignored++;
      bump(summary.ignoredBy, "blank");
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
  return { line, end, parser };
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
