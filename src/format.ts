/**
 * The contract every input format implements. One module per format in
 * src/parsers/, listed once in src/registry.ts.
 *
 * The driver (src/parse.ts) reads an input line by line, removes what is common
 * to all formats (BOM, CR, blank lines, `$ command` banners, known stderr noise)
 * and hands every other line to the format's LineParser, which must account for
 * it: emit a record from it, ignore it with a reason (a header, a separator), or
 * skip it with an error diagnostic. Lines the parser neither ignores nor skips
 * count as parsed. A parser never throws on bad input.
 */
import type { ParseCaches } from "./context.js";
import type { Diagnostic, NatlensRecord, RecordKind } from "./types.js";

export interface ParseOptions {
  /** Byte order of the host that wrote /proc/net files (default little). */
  byteOrder: "little" | "big";
  /**
   * The caller keeps the records (analyze does): parsers then give the
   * addresses a dump repeats on every row one shared copy, which also keeps a
   * record from pinning the ~1 MB chunk its line was cut from. A caller that
   * writes records and drops them (convert) does not need it, and saves the
   * lookups (0.5 s for a 1,000,000-entry conntrack dump). Default false.
   */
  shareStrings: boolean;
  /**
   * The run's parse caches (src/context.ts). Pass one per analysed host to
   * every parse of its sources; left out, each parse()/parseSource() call
   * makes its own.
   */
  caches?: ParseCaches;
}

export const DEFAULT_PARSE_OPTIONS: ParseOptions = { byteOrder: "little", shareStrings: false };

export interface ParseContext {
  readonly file: string;
  /** Network-namespace hint derived from the path (see SocketRecord.netns). */
  readonly netns: string | null;
  readonly options: ParseOptions;
  /** The run's caches: options.caches, or the ones the driver made for this parse. Parsers keep every table here, none in module state. */
  readonly caches: ParseCaches;
  /**
   * The command that produced the input, when known: the `$ command` banner the
   * driver removed from its top, else the bundle MANIFEST's entry for the file
   * (e.g. `iptables -t nat -L -n -v`). Null when unknown.
   */
  readonly banner: string | null;
  emit(record: NatlensRecord): void;
  /** A known non-data line (header, separator, section the format does not model). */
  ignore(line: number, reason: string): void;
  /** A line that could not be parsed: counted as skipped, reported as an error. */
  skip(line: number, code: string, message: string, text: string, hint?: string): void;
  /** A warning or info about a line (or the whole file when line is null); the line still counts as parsed. */
  report(
    severity: Diagnostic["severity"],
    line: number | null,
    code: string,
    message: string,
    text?: string,
    hint?: string,
  ): void;
}

export interface LineParser {
  /** Called for every line that is not blank and not common noise; `no` is 1-based. */
  line(text: string, no: number): void;
  /** Called once after the last line (whole-document formats parse here). */
  end(): void;
}

export interface FormatParser {
  /** Stable id, kebab-case, same as the module file name: `proc-net-tcp`. */
  id: string;
  title: string;
  /** Record kinds this format produces. */
  kinds: RecordKind[];
  /** Commands (or files) that produce the format, for `natlens formats`. */
  commands: string[];
  /**
   * Confidence 0..1 that `head` (the first non-blank, non-noise lines, CR and
   * BOM removed, at most DETECT_LINES of them) is this format. Look at content
   * only, never at file names.
   */
  sniff(head: readonly string[]): number;
  /**
   * A cheap test detection runs before `sniff`: true only when `sniff(head)`
   * would return 0 (a head none of whose lines can be this format's, such as
   * a socket table's rows for a firewall format). It saves most of the
   * per-input cost of detection; test/detect-gates.test.ts checks every gate
   * against its sniffer. Leave it out when there is no such test.
   */
  rejects?(head: readonly string[]): boolean;
  create(ctx: ParseContext): LineParser;
}

/** How many leading lines detection looks at. */
export const DETECT_LINES = 40;
