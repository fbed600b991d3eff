/** natlens as a library: the same stages the CLI uses. */
export { parse, parseSource, type ParseResult, type ParseSourceOptions } from "./parse.js";
export { detect, formatById, type Detection } from "./detect.js";
export { FORMATS } from "./registry.js";
export { expandInputs, fileSource, textSource, stdinSource, type ByteSource } from "./input/read.js";
export { COLUMNS } from "./output/columns.js";
export { createWriter, OUTPUT_FORMATS, type OutputFormat, type RecordWriter } from "./output/writers.js";
export { csvCell, csvRow, csvHeader } from "./output/csv.js";
export { decodeHexIpv4, decodeHexIpv6, encodeProcHex, normalizeIp, normalizeCidr } from "./net/index.js";
export type { FormatParser, LineParser, ParseContext, ParseOptions } from "./format.js";
export * from "./types.js";
export { run } from "./main.js";
