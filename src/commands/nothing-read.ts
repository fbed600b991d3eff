/**
 * What `convert` and `analyze` say about their inputs as a whole: the refusal
 * when no input is a capture natlens reads (exit 2, nothing written), and the
 * per-input summary lines of --verbose.
 */
import { ExitCode, type Io } from "../io.js";
import { visible } from "../safe-text.js";
import type { InputSummary } from "../types.js";

/** How many unread inputs the refusal names before it counts the rest. */
const NAMED = 3;

/** Why an input was not read, in a word or two. */
function whyUnread(i: InputSummary): string {
  if (i.lines === 0 && i.skipped === 0) return "empty";
  if (i.skippedBy["binary"]) return "binary";
  if (i.skippedBy["unreadable"]) return "unreadable";
  return "format not recognised";
}

export function nothingRead(io: Io, inputs: readonly InputSummary[]): ExitCode {
  const named = inputs.slice(0, NAMED).map((i) => `${visible(i.file)} (${whyUnread(i)})`);
  const more = inputs.length > NAMED ? `, and ${inputs.length - NAMED} more` : "";
  const which = named.length ? `: ${named.join(", ")}${more}` : "";
  io.stderr.write(`natlens: error: none of the inputs is a capture natlens reads${which}\n    hint: run \`natlens formats\` for the list, or capture a host with scripts/collect.sh\n`);
  return ExitCode.Usage;
}

/** --verbose: one line per input, after its diagnostics. */
export function printInputSummaries(io: Io, inputs: readonly InputSummary[]): void {
  for (const i of inputs) {
    io.stderr.write(`natlens: ${visible(i.file)}: ${i.format ?? "unrecognised"}: ${i.lines} lines, ${i.records} records, ${i.ignored} ignored, ${i.skipped} skipped\n`);
  }
}
