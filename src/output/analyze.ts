/** Every analyze report writer behind one name, for the CLI and for library callers (batch, HTML). */
import type { ChalkInstance } from "chalk";
import type { Report } from "../analyze/report.js";
import { writeCsv } from "./analyze-csv.js";
import { writeJsonReport } from "./analyze-json.js";
import { writeText } from "./analyze-text.js";
import { writeHtml } from "./html/report.js";

import type { AnalyzeFormat } from "./formats.js";

export { ANALYZE_FORMATS, type AnalyzeFormat } from "./formats.js";

export interface AnalysisWriteOptions {
  /** Wrap the text report's long lines to this many columns (a terminal's width); absent: no wrapping (piped output stays one line per item). */
  width?: number;
  /** CSV cells as they are (`--csv-raw`): no formula neutralisation, control characters kept; unsafe for spreadsheets. */
  csvRaw?: boolean;
}

/** Write `report` as `format` (html: one self-contained page, docs/html.md); `chalk` colours the text report only (null: plain). */
export function writeAnalysis(report: Report, format: AnalyzeFormat, write: (text: string) => void, chalk: ChalkInstance | null = null, options: AnalysisWriteOptions = {}): void {
  if (format === "json") writeJsonReport(report, write);
  else if (format === "csv") writeCsv(report, write, options.csvRaw === true);
  else if (format === "html") writeHtml(report, write);
  else writeText(report, chalk, write, options.width);
}

export { FLOW_CSV_COLUMNS, WHAT_IF_CSV_COLUMNS, renderCsv, writeCsv } from "./analyze-csv.js";
export { writeJsonReport } from "./analyze-json.js";
export { renderText, writeText } from "./analyze-text.js";
