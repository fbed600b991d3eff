/** docs/schema.md must list exactly the CSV columns the code writes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { COLUMNS } from "../src/output/columns.js";
import { FLOW_CSV_COLUMNS, WHAT_IF_CSV_COLUMNS } from "../src/output/analyze-csv.js";
import { KIND_PLURALS, type RecordKind } from "../src/types.js";

const doc = readFileSync("docs/schema.md", "utf8");

function documented(heading: string): string {
  const at = doc.indexOf(heading);
  assert.ok(at >= 0, `docs/schema.md has no "${heading}"`);
  const m = /`([a-z0-9_,]+)`/.exec(doc.slice(at + heading.length));
  assert.ok(m, `no column list after "${heading}"`);
  return m[1]!;
}

for (const [kind, columns] of Object.entries(COLUMNS)) {
  test(`docs/schema.md lists the ${kind} CSV columns`, () => {
    assert.equal(documented(`CSV columns (\`--kind ${KIND_PLURALS[kind as RecordKind]}\`):`), columns.map((c) => c.name).join(","));
  });
}

test("docs/schema.md lists the analyze CSV columns", () => {
  assert.equal(documented("CSV columns (`analyze --to csv`):"), FLOW_CSV_COLUMNS.map((c) => c.name).join(","));
});

test("docs/schema.md lists the what-if CSV columns", () => {
  assert.equal(documented("With `--what-if`, these columns follow (`what_if_verdict` is the host's, on every row):"), WHAT_IF_CSV_COLUMNS.map((c) => c.name).join(","));
});
