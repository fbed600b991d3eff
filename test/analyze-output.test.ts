/**
 * `analyze` writes its report piece by piece: the bytes must be exactly those
 * of the one-string renderings they replace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadBundle } from "../src/analyze/bundle.js";
import { analyzeBundle } from "../src/analyze/report.js";
import { writeJson } from "../src/output/json-stream.js";
import { writeJsonReport } from "../src/output/analyze.js";
import { runCli } from "./_io.js";

const SAMPLES = ["lab-proxy", "lab28-noproxy"];

for (const dir of SAMPLES) {
  test(`${dir}: streamed JSON is byte-identical to JSON.stringify(report, null, 2)`, async () => {
    const report = await analyzeBundle(await loadBundle([path.join("samples", dir)], { netnsOverrides: new Map() }));
    const want = JSON.stringify(report, null, 2) + "\n";
    const pieces: string[] = [];
    writeJsonReport(report, (t) => pieces.push(t));
    assert.ok(pieces.length > report.flows.length, "written in pieces");
    assert.equal(pieces.join(""), want);
    const cli = await runCli(["analyze", "--format", "json", path.join("samples", dir)]);
    assert.equal(cli.stdout, want);
  });
}

test("writeJson matches JSON.stringify at every depth, with the values JSON.stringify drops", () => {
  const samples: unknown[] = [
    {},
    [],
    { a: [], b: {}, c: [1, [2, [3, {}]]], d: undefined, e: () => 1, f: null, g: "x\ny\"z", h: [undefined, () => 1, Symbol("s")] },
    [{ a: { b: { c: [1, 2] } } }, [], [[]], "s", 1.5, true, null, { toJSON: () => ({ t: [1] }) }, new Date(0)],
    { only: undefined },
    { nested: { only: undefined }, arr: [{}, { x: [] }] },
  ];
  for (const v of samples) {
    for (const depth of [0, 1, 2, 3, 5]) {
      let out = "";
      writeJson(v, (t) => (out += t), depth);
      assert.equal(out, JSON.stringify(v, null, 2), `depth ${depth}: ${JSON.stringify(v)}`);
    }
  }
});
