/**
 * The text encoding of an input, from its first bytes, and its chunks as
 * UTF-8. Captures are UTF-8 (or ASCII), but Windows PowerShell's `>` writes
 * UTF-16LE (with a byte-order mark), and some tools write UTF-16 without one:
 * those are recognised by their NUL pattern (every other byte 0 for ASCII
 * text) and transcoded, so the line reader, the fast paths and the evidence
 * stage all see UTF-8 and count lines alike.
 */
import { StringDecoder } from "node:string_decoder";

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be";

/** Bytes looked at to tell UTF-16 without a byte-order mark. */
const SNIFF_BYTES = 4096;

/** The encoding the first bytes of an input show. */
export function sniffEncoding(head: Uint8Array): TextEncoding {
  if (head.length >= 2) {
    if (head[0] === 0xff && head[1] === 0xfe && !(head[2] === 0 && head[3] === 0)) return "utf-16le";
    if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  }
  // No BOM: mostly-ASCII UTF-16 has a 0 in every other byte, the same side each time.
  const n = Math.min(head.length, SNIFF_BYTES) & ~1;
  if (n < 8) return "utf-8";
  let le = 0;
  let be = 0;
  for (let i = 0; i < n; i += 2) {
    const a = head[i]!;
    const b = head[i + 1]!;
    if (a !== 0 && b === 0) le++;
    else if (a === 0 && b !== 0) be++;
  }
  const pairs = n / 2;
  if (le >= pairs * 0.7 && be <= pairs * 0.05) return "utf-16le";
  if (be >= pairs * 0.7 && le <= pairs * 0.05) return "utf-16be";
  return "utf-8";
}

/**
 * The chunks of an input as UTF-8: passed through when the first chunk shows
 * UTF-8, transcoded from UTF-16 (LE or BE, the BOM kept as U+FEFF for the line
 * reader to remove) otherwise. `seen` is told the encoding once it is known.
 */
export async function* utf8Chunks(chunks: AsyncIterable<Buffer>, seen?: (encoding: TextEncoding) => void): AsyncGenerator<Buffer> {
  let encoding: TextEncoding | null = null;
  let decoder: StringDecoder | null = null;
  /** UTF-16BE: an odd byte left over from the last chunk. */
  let odd: number | null = null;
  for await (const chunk of chunks) {
    if (encoding === null) {
      encoding = sniffEncoding(chunk);
      seen?.(encoding);
      if (encoding !== "utf-8") decoder = new StringDecoder("utf16le");
    }
    if (decoder === null) {
      yield chunk;
      continue;
    }
    let bytes = chunk;
    if (encoding === "utf-16be") {
      // swap each pair into little-endian order, carrying a byte across chunk ends
      const joined: Buffer = odd === null ? Buffer.from(chunk) : Buffer.concat([Buffer.of(odd), chunk]);
      const even: number = joined.length & ~1;
      odd = even < joined.length ? joined[even]! : null;
      bytes = joined.subarray(0, even).swap16();
    }
    const text = decoder.write(bytes);
    if (text) yield Buffer.from(text, "utf8");
  }
  if (decoder) {
    const rest = decoder.end() + (odd !== null ? "\ufffd" : "");
    if (rest) yield Buffer.from(rest, "utf8");
  }
}
