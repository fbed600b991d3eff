/**
 * Golden tests for every parser. Each file under test/fixtures/<format-id>/
 * (any depth) is parsed with detection, must be detected as <format-id>, and
 * must produce exactly its golden file test/golden/<same path>.json: records,
 * diagnostics and the input accounting.
 * Files under test/fixtures/_reject/ must be refused with an error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileSource } from "../src/input/read.js";
import { parseSource } from "../src/parse.js";
import { FORMATS } from "../src/registry.js";
import type { Diagnostic, NatlensRecord } from "../src/types.js";
import { assertGolden, goldenJson } from "./_golden.js";

const ROOT = "test/fixtures";

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name !== "README.md") out.push(p);
  }
  return out;
}

async function run(file: string) {
  const records: NatlensRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  const summary = await parseSource(fileSource(file), { onRecord: (r) => records.push(r), onDiagnostic: (d) => diagnostics.push(d) });
  return { summary, records, diagnostics };
}

for (const dir of readdirSync(ROOT).sort()) {
  // _bundles/ holds whole host bundles for the analyze and HTML tests, not one format's captures
  if (!statSync(path.join(ROOT, dir)).isDirectory() || dir === "_bundles") continue;
  for (const file of files(path.join(ROOT, dir))) {
    test(`${dir}: ${path.relative(path.join(ROOT, dir), file)}`, async () => {
      const result = await run(file);
      if (dir === "_reject") {
        assert.equal(result.summary.format, null, "a rejected input must not be claimed by a format");
        assert.ok(result.diagnostics.some((d) => d.severity === "error"), "a rejected input needs an error diagnostic");
      } else {
        assert.equal(result.summary.format, dir, `detected as ${result.summary.format}`);
      }
      assert.ok(!result.diagnostics.some((d) => d.code === "E_INTERNAL"), "a parser threw");
      const s = result.summary;
      assert.ok(s.ignored + s.skipped <= s.lines, "accounting: ignored + skipped <= lines");
      assertGolden(path.join("test/golden", `${path.relative(ROOT, file)}.json`), goldenJson({ summary: s, diagnostics: result.diagnostics, records: result.records }));
    });
  }
}

test("every registered format has fixtures", () => {
  for (const f of FORMATS) {
    const dir = path.join(ROOT, f.id);
    let n = 0;
    try {
      n = files(dir).length;
    } catch {
      n = 0;
    }
    assert.ok(n > 0, `format ${f.id} has no fixtures under ${dir}`);
  }
});
