/** The analyze JSON report (`natlens/analysis@1`, docs/schema.md). */
import type { Report } from "../analyze/report.js";
import { writeJson } from "./json-stream.js";

/** The JSON report: the bytes of `JSON.stringify(report, null, 2) + "\n"`, written flow by flow. */
export function writeJsonReport(r: Report, write: (text: string) => void): void {
  writeJson(r, write, 2);
  write("\n");
}
