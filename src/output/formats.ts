/** The output formats of each command (`--to`), in one small module the command line loads without any writer. */
export const OUTPUT_FORMATS = ["text", "json", "ndjson", "csv"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const ANALYZE_FORMATS = ["text", "json", "csv", "html"] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

export const TRACE_FORMATS = ["text", "json"] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];
