/** The analyze JSON report (`natlens/analysis@1.2`, docs/schema.md). */
import type { Report } from "../analyze/report.js";
import { writeJson } from "./json-stream.js";
import { jsonSafe } from "../safe-text.js";

/**
 * The JSON report: the bytes of `JSON.stringify(report, null, 2) + "\n"`, written
 * flow by flow, with DEL, C1 and bidi controls from the inputs as \uXXXX escapes
 * (safe-text.ts jsonSafe: the same JSON value, inert on a terminal).
 */
export function writeJsonReport(r: Report, write: (text: string) => void): void {
  writeJson(r, (t) => write(jsonSafe(t)), 2);
  write("\n");
}
