/** docs/schema.md must list exactly the fleet table columns the code writes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FLEET_FLOW_COLUMNS, HOST_COLUMNS } from "../src/batch/host-row.js";

const doc = readFileSync("docs/schema.md", "utf8");

function documented(heading: string): string {
  const at = doc.indexOf(heading);
  assert.ok(at >= 0, `docs/schema.md has no "${heading}"`);
  const m = /`([a-z0-9_,]+)`/.exec(doc.slice(at + heading.length));
  assert.ok(m, `no column list after "${heading}"`);
  return m[1]!;
}

test("docs/schema.md lists the batch flows.csv columns", () => {
  assert.equal(documented("CSV columns (`batch` flows.csv):"), FLEET_FLOW_COLUMNS.map((c) => c.name).join(","));
});

test("docs/schema.md lists the batch hosts.csv columns, each explained in the table", () => {
  assert.equal(documented("CSV columns (`batch` hosts.csv):"), HOST_COLUMNS.map((c) => c.name).join(","));
  for (const c of HOST_COLUMNS) assert.ok(doc.includes(`\`${c.name}\``), c.name);
  assert.equal(HOST_COLUMNS[HOST_COLUMNS.length - 1]!.name, "seconds", "seconds stays last");
});
