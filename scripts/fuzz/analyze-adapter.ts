/**
 * The one place the fuzz harness calls the analyzer: a host's sources in,
 * the JSON and text reports out (as strings, so the writers run too).
 */
import { addRecord, emptyBundle } from "../../src/analyze/bundle.js";
import { analyzeBundle } from "../../src/analyze/report.js";
import { writeJsonReport, writeText } from "../../src/commands/analyze.js";
import { parseSource } from "../../src/parse.js";
import type { ByteSource } from "../../src/input/read.js";

export async function analyzeSources(sources: ByteSource[]): Promise<number> {
  const b = emptyBundle();
  for (const s of sources) {
    b.inputs.push(await parseSource(s, { options: { shareStrings: true }, onRecord: (r) => addRecord(b, r), onDiagnostic: (d) => b.diagnostics.push(d) }));
  }
  const report = analyzeBundle(b);
  let bytes = 0;
  writeJsonReport(report, (t) => (bytes += t.length));
  writeText(report, null, (t) => (bytes += t.length));
  return bytes;
}
