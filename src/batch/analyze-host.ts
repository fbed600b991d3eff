/**
 * The one place `batch` touches the analyzer: analyse one host's inputs with
 * the library entry point (`analyzeHost` over named byte streams; every parse
 * cache belongs to that one call, so nothing of a host reaches the next) and
 * write its report with the writers `analyze` uses.
 */
import { analyzeHost, FLOW_CSV_COLUMNS, writeAnalysis, type Report, type WhatIfChange } from "../api.js";
import { expandInputs, type ByteSource, type SourceNote } from "../input/read.js";

export type { Report };
export type HostFlow = Report["flows"][number];
export { FLOW_CSV_COLUMNS };

/** What analysing one host gave: a report, or why there is none (what `analyze` exits 2 for). */
export type HostAnalysis =
  | { ok: true; report: Report; /** analyze would exit 1: some lines or files were skipped */ skipped: boolean }
  | { ok: false; reason: string };

/**
 * Analyse the host whose inputs are `inputs` (paths as `analyze` takes them),
 * exactly as `natlens analyze INPUTS` does: same bundle, same report.
 */
export async function analyzeHostInputs(inputs: readonly string[], whatIf: WhatIfChange | null = null): Promise<HostAnalysis> {
  const { sources, problems } = await expandInputs(inputs);
  return analyzeHostSources(sources, problems, whatIf);
}

/** A member's bytes as they cross to a worker thread (a host cut out of a fleet archive by the main thread). */
export interface SourceData {
  name: string;
  explicit: boolean;
  command?: string;
  exit?: number;
  notes?: SourceNote[];
  data: Uint8Array;
}

/** A source kept in memory, as plain data that postMessage can copy. */
export async function sourceData(s: ByteSource): Promise<SourceData> {
  const chunks: Buffer[] = [];
  for await (const c of s.open()) chunks.push(c);
  return {
    name: s.name,
    explicit: s.explicit,
    ...(s.command !== undefined ? { command: s.command } : {}),
    ...(s.exit !== undefined ? { exit: s.exit } : {}),
    ...(s.notes ? { notes: s.notes } : {}),
    data: Buffer.concat(chunks),
  };
}

/** The source again, on the worker's side. */
export function sourceOfData(d: SourceData): ByteSource {
  const data = Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength);
  const { data: _bytes, ...rest } = d;
  return {
    ...rest,
    async *open() {
      if (data.length) yield data;
    },
  };
}

/** Analyse one host from its sources (`problems`: inputs that could not be read at all: the host fails). */
export async function analyzeHostSources(sources: ByteSource[], problems: readonly { input: string; message: string }[], whatIf: WhatIfChange | null = null): Promise<HostAnalysis> {
  const unreadable = problems[0];
  if (unreadable) return { ok: false, reason: `${unreadable.input}: ${unreadable.message}` };
  // No forced full collections between phases: they cost a third of a typical (small) host's
  // time (measured on the generated fleet); a worker's heap cap bounds a big host instead.
  const report = await analyzeHost(sources, { collectGarbage: false, ...(whatIf ? { whatIf } : {}) });
  if (report.inputs.length === 0) return { ok: false, reason: "no input files" };
  if (report.inputs.every((i) => i.format === null)) return { ok: false, reason: "none of the inputs is a capture natlens reads" };
  return { ok: true, report, skipped: report.inputs.some((i) => i.skipped > 0) };
}

export const PER_HOST_FORMATS = ["json", "html", "text", "csv"] as const;
export type PerHostFormat = (typeof PER_HOST_FORMATS)[number];

/** File name of a per-host report, in DIR/hosts/<host-id>/. */
export const PER_HOST_FILE: Record<PerHostFormat, string> = { json: "analysis.json", html: "report.html", text: "analysis.txt", csv: "analysis.csv" };

/** The bytes `analyze --format FORMAT -o FILE` writes for this report (text without colour). */
export function writeHostReport(report: Report, format: PerHostFormat, write: (text: string) => void): void {
  writeAnalysis(report, format, write, null);
}
