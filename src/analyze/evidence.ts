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

/**
 * The given lines (1-based, counted like the parse driver counts them: by LF)
 * of a source, without their CR; numbers past the end are left out.
 */
export async function pickSourceLines(source: ByteSource, numbers: Iterable<number>): Promise<Map<number, string>> {
  const wanted = new Set(numbers);
  const out = new Map<number, string>();
  if (wanted.size === 0) return out;
  let last = 0;
  for (const n of wanted) if (n > last) last = n;
  let no = 1;
  /** The start of a wanted line that runs on into the next chunk (copied: a source may reuse its buffers). */
  let carry: Buffer[] | null = null;
  const keep = (parts: Buffer[]) => {
    let b = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (b.length > 0 && b[b.length - 1] === 13) b = b.subarray(0, b.length - 1);
    out.set(no, b.toString("utf8"));
  };
  // as UTF-8, as the parse driver read it (a UTF-16 capture is transcoded)
  for await (const chunk of utf8Chunks(source.open())) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (wanted.has(no) && start < chunk.length) (carry ??= []).push(Buffer.from(chunk.subarray(start)));
        break;
      }
      if (wanted.has(no)) {
        keep(carry ? [...carry, chunk.subarray(start, nl)] : [chunk.subarray(start, nl)]);
        carry = null;
      }
      if (++no > last) return out;
      start = nl + 1;
    }
  }
  if (carry) keep(carry);
  return out;
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
      picked = await pickSourceLines(
        source,
        cited.map((e) => e.line),
      );
    } catch {
      continue;
    }
    const shown = new Map<number, string>();
    for (const e of cited) {
      let t = shown.get(e.line);
      if (t === undefined) {
        const raw = picked.get(e.line);
        if (raw === undefined) continue;
        const trimmed = raw.trim();
        // ASCII "...": one non-Latin-1 character makes V8 build the whole flow's JSON in two-byte form
        // flattened: a cut line must not keep the whole line it was cut from (strings.ts)
        shown.set(e.line, (t = trimmed.length > MAX_TEXT ? flatten(`${trimmed.slice(0, MAX_TEXT)}...`) : trimmed));
      }
      e.text = t;
    }
  }
}
