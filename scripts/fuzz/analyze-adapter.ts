/**
 * The one place the fuzz harness calls the analyzer: a host's sources in
 * (through the library entry, as batch and the CLI do), the JSON and text
 * reports out as strings, so the writers run too.
 */
import { analyzeHost, writeJsonReport, writeText } from "../../src/api.js";
import type { ByteSource } from "../../src/input/read.js";

export async function analyzeSources(sources: ByteSource[]): Promise<number> {
  const report = await analyzeHost(sources, { collectGarbage: false });
  let bytes = 0;
  writeJsonReport(report, (t) => (bytes += t.length));
  writeText(report, null, (t) => (bytes += t.length));
  return bytes;
}
