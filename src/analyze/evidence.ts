/**
 * The evidence stage: the text of every cited line, read back from its
 * source through `ByteSource.open()` (a file, buffered stdin, an archive
 * member: never a path on disk). Each cited source is read once, up to its
 * last cited line, and only the cited lines are decoded and kept.
 */
import type { ByteSource } from "../input/read.js";
import { utf8Chunks } from "../input/text-decode.js";
import type { Evidence } from "./model.js";
import { flatten } from "../strings.js";

/** Longer lines are cut here and end in ASCII "...". */
const MAX_TEXT = 240;

/** `bytes` [from, to) as text, without a final CR. */
function lineText(bytes: Buffer, from: number, to: number): string {
  if (to > from && bytes[to - 1] === 13) to--;
  return bytes.toString("utf8", from, to);
}

/**
 * The given lines (1-based, counted like the parse driver counts them: by LF)
 * of a source, without their CR; numbers past the end are left out. The
 * numbers are sorted once and the source is walked line by line towards the
 * next one; only the wanted lines are decoded.
 */
export async function pickSourceLines(source: ByteSource, numbers: Iterable<number>): Promise<Map<number, string>> {
  const wanted = Float64Array.from(numbers).sort();
  const out = new Map<number, string>();
  if (wanted.length === 0) return out;
  let k = 0;
  let target = wanted[0]!;
  let no = 1;
  // line numbers below 1 are never lines
  while (target < no && ++k < wanted.length) target = wanted[k]!;
  if (k === wanted.length) return out;
  /** The start of a wanted line that runs on into the next chunk (copied: a source may reuse its buffers). */
  let carry: Buffer[] | null = null;
  // as UTF-8, as the parse driver read it (a UTF-16 capture is transcoded)
  for await (const chunk of utf8Chunks(source.open())) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (no === target && start < chunk.length) (carry ??= []).push(Buffer.from(chunk.subarray(start)));
        break;
      }
      if (no === target) {
        if (carry) {
          carry.push(chunk.subarray(start, nl));
          const whole = Buffer.concat(carry);
          out.set(no, lineText(whole, 0, whole.length));
          carry = null;
        } else out.set(no, lineText(chunk, start, nl));
        // the next wanted number above this line (duplicates skipped)
        while (target <= no && ++k < wanted.length) target = wanted[k]!;
        if (k === wanted.length) return out;
      }
      no++;
      start = nl + 1;
    }
  }
  if (carry) {
    const whole = Buffer.concat(carry);
    out.set(no, lineText(whole, 0, whole.length));
  }
  return out;
}

/** A cited line as evidence shows it: trimmed, cut to MAX_TEXT characters. */
function shownText(raw: string): string {
  const trimmed = raw.trim();
  // ASCII "...": one non-Latin-1 character makes V8 build the whole flow's JSON in two-byte form
  // flattened: a cut line must not keep the whole line it was cut from (strings.ts)
  return trimmed.length > MAX_TEXT ? flatten(`${trimmed.slice(0, MAX_TEXT)}...`) : trimmed;
}

/**
 * Fill `text` of the evidence items that have none from their sources,
 * trimmed and cut to 240 characters. Items citing a source that is not in
 * `sources`, or that cannot be read again, keep no text.
 */
export async function resolveEvidenceText(items: Iterable<Evidence>, sources: ReadonlyMap<string, ByteSource>): Promise<void> {
  const bySource = new Map<string, Evidence[]>();
  for (const e of items) {
    if (e.text !== undefined) continue;
    const list = bySource.get(e.file);
    if (list) list.push(e);
    else bySource.set(e.file, [e]);
  }
  for (const [name, cited] of bySource) {
    const source = sources.get(name);
    if (!source) continue;
    let picked: Map<number, string>;
    try {
      const numbers = new Array<number>(cited.length);
      for (let i = 0; i < cited.length; i++) numbers[i] = cited[i]!.line;
      picked = await pickSourceLines(source, numbers);
    } catch {
      continue;
    }
    // each distinct line trimmed and cut once, whatever number of flows cite it
    for (const [no, raw] of picked) picked.set(no, shownText(raw));
    for (const e of cited) {
      const t = picked.get(e.line);
      if (t !== undefined) e.text = t;
    }
  }
}
