/**
 * LineReader hands out the lines LF splitting of the UTF-8 text gives, CR and
 * a leading BOM removed, whatever the chunking: ASCII chunks are decoded on a
 * fast path (as Latin-1) until the first chunk that is not ASCII, which may cut
 * a character in two.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LineReader } from "../src/input/lines.js";
import type { ByteSource } from "../src/input/read.js";
import { chunkedSource } from "./_sources.js";


async function readAll(source: ByteSource): Promise<string[]> {
  const r = new LineReader(source);
  await r.head(3);
  const out: string[] = [];
  await r.forEach((text) => out.push(text));
  return out;
}

test("property: lines of any chunking of mixed ASCII and multi-byte text are the lines of the whole text", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.string({ unit: fc.constantFrom("a", "Z", " ", "\r", "é", "€", "😀", "\u0085", "x") }), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.boolean(),
      async (lines, cuts, bom) => {
        const text = lines.join("\n");
        const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, "utf8")]);
        // as the reader counts: the empty piece after a final LF is no line (a lone BOM is one empty line)
        const expected = ((bom ? "\ufeff" : "") + text).split("\n");
        if (expected[expected.length - 1] === "") expected.pop();
        const want = expected.map((l, i) => (i === 0 && bom ? l.slice(1) : l)).map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
        assert.deepEqual(await readAll(chunkedSource("x", bytes, cuts)), want);
      },
    ),
    { numRuns: 500 },
  );
});

test("a character cut between an ASCII chunk's end and the next chunk is decoded whole", async () => {
  const bytes = Buffer.from("abc\né€😀\nend\n", "utf8");
  // every cut point, including inside each multi-byte character
  for (let cut = 0; cut <= bytes.length; cut++) {
    for (let cut2 = cut; cut2 <= bytes.length; cut2++) {
      assert.deepEqual(await readAll(chunkedSource("x", bytes, [cut, cut2])), ["abc", "é€😀", "end"], `cuts ${cut}, ${cut2}`);
    }
  }
});

test("invalid UTF-8 (a lead byte, then ASCII in the next chunk) reads as the whole input decoded at once", async () => {
  const bytes = Buffer.concat([Buffer.from("ok\nbad "), Buffer.from([0xc3]), Buffer.from("x\nend\n")]);
  const want = bytes.toString("utf8").split("\n").slice(0, -1);
  for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(await readAll(chunkedSource("x", bytes, [cut])), want, `cut ${cut}`);
});

test("an ASCII chunk larger than a Latin-1 piece (256 KiB) reads whole: lines across the pieces' borders are intact", async () => {
  const lines = Array.from({ length: 30000 }, (_, i) => `row ${i} ${"x".repeat(i % 97)}`);
  const bytes = Buffer.from(lines.join("\n") + "\n", "utf8");
  assert.ok(bytes.length > 3 * (1 << 18));
  assert.deepEqual(await readAll(chunkedSource("x", bytes, [])), lines);
  assert.deepEqual(await readAll(chunkedSource("x", bytes, [(1 << 18) + 7, 1 << 20])), lines);
});
