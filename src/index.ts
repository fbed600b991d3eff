/** natlens as a library: the same stages the CLI uses, printing nothing. */
export * from "./api.js";
export { parse, parseSource, type ParseResult, type ParseSourceOptions } from "./parse.js";
export { detect, formatById, type Detection } from "./detect.js";
export { FORMATS } from "./registry.js";
export { expandInputs, fileSource, textSource, stdinSource, type ByteSource } from "./input/read.js";
export { COLUMNS } from "./output/columns.js";
export { csvCell, csvRow, csvHeader } from "./output/csv.js";
export { decodeHexIpv4, decodeHexIpv6, encodeProcHex, normalizeIp, normalizeCidr, normalizeAddr, inCidr, isLoopback, isLocalAddr, endpoint } from "./net/index.js";
export type { FormatParser, LineParser, ParseContext, ParseOptions } from "./format.js";
/** The analysis stages one by one (analyzeHost runs them in order). */
export { loadSources, loadBundle, type Bundle } from "./analyze/bundle.js";
export { buildModel, type HostModel } from "./analyze/model.js";
export { attribute } from "./analyze/flows.js";
export { explainFlows } from "./analyze/explain.js";
export { analyzeBundle, buildReport, ANALYSIS_SCHEMA } from "./analyze/report.js";
export { resolveEvidenceText, pickSourceLines } from "./analyze/evidence.js";
export { FINDINGS, runFindings } from "./findings/registry.js";
export type { FindingMeta, FindingModule, Hit } from "./findings/types.js";
/**
 * Per-run parse caches (src/context.ts): make one per analysed host with
 * createParseCaches() and pass it as ParseOptions.caches to every parse of that
 * host's sources; the next host gets a fresh one, so nothing a parser remembers
 * outlives the host it was made for. Without it, each parse call makes its own.
 */
export { createParseCaches, ParseCaches } from "./context.js";
export * from "./types.js";
export { run } from "./main.js";
