/**
 * `natlens convert`: read -> detect -> parse -> normalise -> write, for any
 * number of inputs, streaming where the output format allows.
 */
import { DiagnosticPrinter } from "../diagnostics.js";
import { ExitCode, type Io, UsageError } from "../io.js";
import { expandInputs, type ByteSource } from "../input/read.js";
import type { ReadLimits } from "../input/archive/limits.js";
import { LineReader } from "../input/lines.js";
import { detect, formatById, MIN_SCORE, type Detection } from "../detect.js";
import { fastPathApplies, procNetTcpToCsv, type FastScratch } from "../fast/proc-net-tcp-csv.js";
import { parseSource } from "../parse.js";
import { FORMATS } from "../registry.js";
import { KIND_PLURALS, type Diagnostic, type InputSummary, type RecordKind } from "../types.js";
import { createWriter, openOutput, type OutputFormat, type Output } from "../api.js";
import { makeChalk, resolveColor, type ColorChoice } from "../_color.js";
import { visible } from "../safe-text.js";
import { nothingRead, printInputSummaries } from "./nothing-read.js";

export interface ConvertArgs {
  inputs: string[];
  to: OutputFormat;
  type?: string | undefined;
  kind?: string | undefined;
  output?: string | undefined;
  color: ColorChoice;
  strict: boolean;
  byteOrder: "little" | "big";
  /** Archive limits (`--max-bytes`, `--max-member-bytes`). */
  limits?: Partial<ReadLimits>;
  verbose: boolean;
  quiet: boolean;
  /** CSV without formula neutralisation or control-character escapes (pandas, DuckDB; unsafe for spreadsheets). */
  csvRaw?: boolean;
}

class StrictStop extends Error {}

export function kindFromName(name: string): RecordKind | null {
  for (const [kind, plural] of Object.entries(KIND_PLURALS)) if (name === kind || name === plural) return kind as RecordKind;
  return null;
}

/** Detection of a file input, kept so that a file is sniffed once per run. */
type Sniffed = Map<string, { detection: Detection; binary: boolean; utf8: boolean }>;

async function sniff(source: ByteSource, cache: Sniffed): Promise<{ detection: Detection; binary: boolean; utf8: boolean }> {
  let hit = cache.get(source.name);
  if (!hit) {
    const reader = new LineReader(source);
    // lines the driver skips (NUL bytes, too long) do not take part in detection
    const head = (await reader.head(120)).filter((l) => l !== "" && !l.includes("\0"));
    hit = { detection: detect(head), binary: reader.binary, utf8: reader.encoding === "utf-8" };
    cache.set(source.name, hit);
  }
  return hit;
}

/** The main record kind (a format's first) of each input, found by detecting each input first. */
async function plannedKinds(sources: readonly ByteSource[], type: string | undefined, cache: Sniffed): Promise<Set<RecordKind>> {
  const kinds = new Set<RecordKind>();
  if (type) {
    const k = formatById(type)?.kinds[0];
    if (k) kinds.add(k);
    return kinds;
  }
  // Plain standard input (and a pipe named on the command line) can be read only once: it is left to the parse.
  for (const s of sources) {
    if (s.once) continue;
    const k = (await sniff(s, cache)).detection.format?.kinds[0];
    if (k) kinds.add(k);
  }
  return kinds;
}

/**
 * /proc/net/{tcp,udp} to socket CSV through the byte-level fast path, when the
 * input is a file detected (or forced) as proc-net-tcp; null otherwise.
 */
async function fastSocketCsv(source: ByteSource, args: ConvertArgs, sink: Output["sink"], onDiagnostic: (d: Diagnostic) => void, cache: Sniffed, scratch: FastScratch): Promise<InputSummary | null> {
  if (!source.path || !fastPathApplies()) return null;
  let detectedBy: InputSummary["detectedBy"] = "type-option";
  let score = 1;
  if (args.type) {
    if (args.type !== "proc-net-tcp") return null;
  } else {
    const { detection: d, binary, utf8 } = await sniff(source, cache);
    if (binary || !utf8) return null; // UTF-16 is transcoded by the generic reader
    const runnerUp = d.candidates[1];
    if (d.format?.id !== "proc-net-tcp" || (runnerUp && runnerUp.score >= MIN_SCORE && d.score - runnerUp.score < 0.1)) return null;
    detectedBy = "content";
    score = Math.round(d.score * 100) / 100;
  }
  const summary: InputSummary = { file: source.name, format: "proc-net-tcp", detectedBy, score, lines: 0, records: 0, ignored: 0, skipped: 0, ignoredBy: {}, skippedBy: {} };
  procNetTcpToCsv(source.path, summary, sink, { options: { byteOrder: args.byteOrder }, onDiagnostic, scratch, csvRaw: args.csvRaw === true, ...(source.maxLineBytes ? { maxLine: source.maxLineBytes } : {}) });
  return summary;
}

export async function convert(args: ConvertArgs, io: Io): Promise<ExitCode> {
  if (args.type && !formatById(args.type)) {
    throw new UsageError(`unknown --type ${JSON.stringify(args.type)}`, `one of: ${FORMATS.map((f) => f.id).join(", ")}`);
  }
  let kind: RecordKind | null = null;
  const sniffed: Sniffed = new Map();
  // Inputs are expanded once: an archive is decompressed once, for the kind planning and the parse alike.
  const { sources, problems } = await expandInputs(args.inputs, io.stdin, { replayableStdin: false, ...(args.limits ? { limits: args.limits } : {}) });
  if (args.kind) {
    kind = kindFromName(args.kind);
    if (!kind) throw new UsageError(`unknown --kind ${JSON.stringify(args.kind)}`, `one of: ${Object.values(KIND_PLURALS).join(", ")}`);
  } else if (args.to === "csv" || args.to === "text") {
    const kinds = await plannedKinds(sources, args.type, sniffed);
    if (sources.some((s) => s.once) && !args.type) kinds.add("socket");
    if (kinds.size === 1) kind = [...kinds][0]!;
    else if (kinds.size === 0) kind = "socket";
    else {
      throw new UsageError(
        `the inputs hold several record kinds (${[...kinds].map((k) => KIND_PLURALS[k]).join(", ")}); ${args.to} output shows one`,
        `add --kind ${KIND_PLURALS[[...kinds][0]!]}, or use --to json`,
      );
    }
  }

  // stdin is streamed, not kept: convert reads each source once
  const stderrChalk = await makeChalk(resolveColor(args.color, io.env, io.stderrIsTTY));
  const printer = new DiagnosticPrinter((l) => io.stderr.write(l), stderrChalk, { verbose: args.verbose, quiet: args.quiet, perFile: 20 });
  if (sources.length === 0) {
    for (const p of problems) io.stderr.write(`natlens: ${visible(p.input)}: error: ${visible(p.message)}${p.hint ? `\n    hint: ${visible(p.hint)}` : ""}\n`);
    return ExitCode.Usage;
  }

  const stdoutColor = args.to === "text" && !args.output && resolveColor(args.color, io.env, io.stdoutIsTTY);
  const out = openOutput(io, args.output, args.strict);
  const writer = createWriter(args.to, out.sink, { kind, chalk: await makeChalk(stdoutColor), csvRaw: args.csvRaw === true });
  const scratch: FastScratch = { out: null };

  const diagnostics: Diagnostic[] = [];
  const inputs: InputSummary[] = [];
  let unreadable = problems.length > 0;
  const onDiagnostic = (d: Diagnostic) => {
    diagnostics.push(d);
    printer.print(d);
    if (args.strict && d.severity === "error") throw new StrictStop();
  };
  for (const p of problems) {
    const d: Diagnostic = { severity: "error", code: "E_INPUT", file: p.input, line: null, message: p.message, ...(p.hint ? { hint: p.hint } : {}) };
    diagnostics.push(d);
    printer.print(d);
  }
  try {
    for (const source of sources) {
      const fast = args.to === "csv" && kind === "socket" ? await fastSocketCsv(source, args, out.sink, onDiagnostic, sniffed, scratch) : null;
      if (fast) {
        inputs.push(fast);
        continue;
      }
      const summary = await parseSource(source, {
        ...(args.type ? { type: args.type } : {}),
        options: { byteOrder: args.byteOrder },
        onRecord: (r) => writer.write(r),
        onDiagnostic,
      });
      if (summary.skippedBy["unreadable"]) unreadable = true;
      inputs.push(summary);
    }
  } catch (err) {
    if (!(err instanceof StrictStop)) throw err;
    printer.flush();
    out.discard();
    io.stderr.write("natlens: stopped at the first error (--strict)\n");
    return ExitCode.Usage;
  }
  if (inputs.length > 0 && inputs.every((i) => i.format === null && i.skipped > 0)) {
    // Nothing read (binary, foreign or unrecognised inputs; an empty one is not an error): the same refusal and status as analyze, and no empty table.
    out.discard();
    printer.flush();
    return nothingRead(io, inputs);
  }
  writer.finish(inputs, diagnostics);
  out.close();
  printer.flush();
  if (args.verbose) printInputSummaries(io, inputs);
  if (unreadable) return ExitCode.Usage;
  return inputs.some((i) => i.skipped > 0) || diagnostics.some((d) => d.severity === "error") ? ExitCode.Skipped : ExitCode.Ok;
}
