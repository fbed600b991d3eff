/**
 * natlens as a library: the calls the CLI makes, printing nothing.
 * `src/commands/*` are thin command-line adapters over this module (they
 * import nothing from src/analyze/ or src/output/ themselves); src/index.ts
 * exports it with the rest of the library.
 *
 * The analyzer and the rule engine are loaded on first use, so a command
 * that only converts records does not pay for them.
 */
import type { ByteSource } from "./input/read.js";
import type { Report } from "./analyze/report.js";
import type { TraceOutcome, TraceQuery, TraceSpec } from "./analyze/trace-rules.js";
import type { Diagnostic } from "./types.js";
import type { Change } from "./whatif/derive.js";
export { parseWhatIf, WHAT_IF_CHANGES } from "./whatif/change.js";
export type { Change as WhatIfChange } from "./whatif/derive.js";
export type { FlowWhatIf, WhatIfOutcome, BreakCause } from "./whatif/predict.js";
export type { HostWhatIf } from "./whatif/verdict.js";

export interface AnalyzeOptions {
  /** Source name -> network namespace (or container) name: the sockets of that source belong to it (`--netns NAME=FILE`). */
  netns?: ReadonlyMap<string, string>;
  /** Problems found before the sources were read (e.g. inputs that do not exist): reported first in `diagnostics`. */
  diagnostics?: Diagnostic[];
  /**
   * Run a full garbage collection between the phases (default true): the
   * peak memory of a big host then follows its live set (src/analyze/memory.ts).
   * A process analysing many small hosts may turn it off.
   */
  collectGarbage?: boolean;
  /** `--what-if`: predict every flow with dockerd changed so (src/whatif/), and give the host verdict (`report.whatIf`). */
  whatIf?: Change;
}

/**
 * Analyse one host from its captures. Sources are named byte streams (files,
 * stdin, archive members); each is read once to parse it, and opened again
 * only to read the lines the report cites. Returns the `natlens/analysis@1.2`
 * report; prints nothing.
 */
export async function analyzeHost(sources: readonly ByteSource[], options: AnalyzeOptions = {}): Promise<Report> {
  const { loadSources } = await import("./analyze/bundle.js");
  const { analyzeBundle } = await import("./analyze/report.js");
  const bundle = await loadSources(sources, { netnsOverrides: new Map(options.netns ?? []) }, options.diagnostics ?? []);
  return analyzeBundle(bundle, { release: true, collectGarbage: options.collectGarbage ?? true, ...(options.whatIf ? { whatIf: options.whatIf } : {}) });
}

/**
 * Walk one hypothetical first packet through the firewall rules of `sources`
 * (rule dumps, plus optional ip addr / docker network inspect / ip route
 * captures). Throws UsageError for a bad spec, TraceInputError (carrying the
 * inputs' errors) when the sources hold no rules or the packet's origin cannot
 * be told.
 */
export async function traceRules(sources: readonly ByteSource[], spec: TraceSpec | TraceQuery): Promise<TraceOutcome> {
  return (await import("./analyze/trace-rules.js")).traceRules(sources, spec);
}

/** Check a trace spec before reading any input (throws UsageError with a hint); traceRules takes the result. */
export async function parseTraceQuery(spec: TraceSpec): Promise<TraceQuery> {
  return (await import("./analyze/trace-rules.js")).parseTraceQuery(spec);
}

export { TraceInputError } from "./analyze/trace-error.js";
export type { TraceSpec, TraceQuery, TraceOutcome } from "./analyze/trace-rules.js";
export type { Report, Finding } from "./analyze/report.js";
export type { Flow, Path, PathDetail, Confidence, ClientKind, Endpoint } from "./analyze/flow-types.js";
export type { Evidence } from "./analyze/model.js";
export type { EngineTraceResult, Packet } from "./engine/index.js";
export { writeAnalysis, writeText, writeCsv, writeJsonReport, renderText, renderCsv, FLOW_CSV_COLUMNS, WHAT_IF_CSV_COLUMNS, ANALYZE_FORMATS, type AnalyzeFormat } from "./output/analyze.js";
export { writeTraceText, writeTraceJson, formatTrace, jsonResult, type TraceReport } from "./output/trace.js";
export { TRACE_FORMATS, type TraceFormat } from "./output/formats.js";
export { createWriter, OUTPUT_FORMATS, type OutputFormat, type RecordWriter, type Sink } from "./output/writers.js";
export { openOutput, type Output } from "./output/sink.js";
