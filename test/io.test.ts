/** The output buffer and the string helpers (cited lines are read back in evidence.test.ts). */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { openOutput } from "../src/output/sink.js";
import { flatten, intern, ownCopy } from "../src/strings.js";
import { createParseCaches } from "../src/context.js";
import { collectGarbage } from "../src/analyze/memory.js";
import type { Io } from "../src/io.js";

const dir = mkdtempSync(path.join(tmpdir(), "natlens-io-"));

function fileIo(): Io {
  const fail = { write: () => assert.fail("nothing goes to the terminal") };
  return { stdout: fail, stderr: fail, stdin: (async function* () {})(), env: {}, stdoutIsTTY: false, stderrIsTTY: false };
}

test("output: pieces of every size, multi-byte text and raw bytes come out in order and intact", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ unit: "binary", maxLength: 50 }), fc.constantFrom("x".repeat(400_000), "€".repeat(300_000), "😀".repeat(200_000)), fc.uint8Array({ maxLength: 20 })), { maxLength: 30 }),
      (pieces) => {
        const file = path.join(dir, "out.txt");
        const out = openOutput(fileIo(), file, false);
        const want: Buffer[] = [];
        for (const p of pieces) {
          if (typeof p === "string") {
            out.sink.write(p);
            want.push(Buffer.from(p, "utf8"));
          } else {
            out.sink.writeBytes(p);
            want.push(Buffer.from(p));
          }
        }
        out.close();
        assert.ok(readFileSync(file).equals(Buffer.concat(want)));
      },
    ),
    { numRuns: 25 },
  );
});

test("output to stdout is copied out of the reused buffer, and held back in --strict mode until close", () => {
  const seen: Buffer[] = [];
  const io = { ...fileIo(), stdout: { write: (t: string | Uint8Array) => seen.push(Buffer.from(t)) } };
  const out = openOutput(io, undefined, true);
  out.sink.write("a,b\r\n");
  out.sink.writeBytes(Buffer.from("1,2\r\n"));
  out.sink.write("é\r\n");
  assert.equal(seen.length, 0);
  out.close();
  assert.equal(Buffer.concat(seen).toString("utf8"), "a,b\r\n1,2\r\né\r\n");
});

test("intern and ownCopy keep the text (sharing is not observable from JavaScript; bench-analyze measures it)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.nat(5), (s, cut) => {
      const slice = ("ab" + s).slice(Math.min(cut, 2));
      const caches = createParseCaches();
      assert.equal(intern(slice, caches), slice);
      assert.equal(intern(slice, caches), slice);
      assert.equal(ownCopy(slice), slice);
    }),
  );
});

test("collectGarbage frees unreachable memory at once (analyze calls it between phases)", () => {
  const before = process.memoryUsage().heapUsed;
  let garbage: number[][] | null = Array.from({ length: 200 }, () => Array.from({ length: 50_000 }, (_, i) => i + 0.5)); // ~80 MB of doubles
  const full = process.memoryUsage().heapUsed;
  assert.ok(full - before > 50e6, `allocated only ${((full - before) / 1e6).toFixed(0)} MB`);
  garbage = null;
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  assert.equal(garbage, null);
  assert.ok(full - after > 50e6, `collected only ${((full - after) / 1e6).toFixed(0)} MB`);
});

test("flatten keeps the text and frees the pieces a built string is made of", () => {
  const build = (i: number) => {
    let s = `client ${i}`;
    for (let k = 0; k < 15; k++) s = `${s} piece ${k} of ${i}`;
    return s;
  };
  const texts = Array.from({ length: 20_000 }, (_, i) => build(i));
  const copies = Array.from({ length: 20_000 }, (_, i) => build(i)); // compared only after the measurement: comparing flattens
  collectGarbage();
  const built = process.memoryUsage().heapUsed;
  for (const t of texts) flatten(t);
  collectGarbage();
  const flat = process.memoryUsage().heapUsed;
  assert.deepEqual(texts, copies);
  // 15 pieces of ~16 characters: each node costs about what its characters do
  assert.ok(built - flat > 10e6, `flattening freed only ${((built - flat) / 1e6).toFixed(1)} MB`);
});
