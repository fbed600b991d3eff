/**
 * Property: the order the inputs are given in never changes a report. Each
 * sample's files are given in random orders; the JSON report must be the
 * one of the files in name order, byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { analyzeHost, writeJsonReport } from "../src/api.js";
import { fileSource } from "../src/input/read.js";

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
}

async function json(files: string[]): Promise<string> {
  const report = await analyzeHost(files.map((f) => fileSource(f)), { collectGarbage: false });
  let out = "";
  writeJsonReport(report, (t) => (out += t));
  return out;
}

const samples = readdirSync("samples").filter((d) => existsSync(path.join("samples", d, "EXPECTED.json"))).sort();

for (const s of samples) {
  test(`${s}: the JSON report does not depend on the order of the input files`, async () => {
    const files = walk(path.join("samples", s));
    const want = await json(files);
    assert.ok(want.includes('"flows"'));
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }), async (order) => {
        assert.equal(await json(order), want);
      }),
      { numRuns: 3 },
    );
  });
}
