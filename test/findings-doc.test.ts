/**
 * The findings lists in README.md and docs/schema.md are generated from each
 * finding's meta: this fails when a list differs, and UPDATE_GOLDENS=1
 * rewrites the lists (review the diff).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { FINDINGS } from "../src/findings/registry.js";

function table(): string {
  const rows = FINDINGS.map((f) => `| \`${f.meta.id}\` | ${f.meta.severity} | ${f.meta.description} |`);
  return ["| id | severity | what it reports |", "|---|---|---|", ...rows].join("\n");
}

for (const file of ["README.md", "docs/schema.md"]) {
  test(`${file} lists every finding as its meta says`, () => {
    const text = readFileSync(file, "utf8");
    const m = /(<!-- findings:begin[^\n]*-->\n)([\s\S]*?)(<!-- findings:end -->)/.exec(text);
    assert.ok(m, `${file} has no <!-- findings:begin ... --> ... <!-- findings:end --> block`);
    const want = `${table()}\n`;
    if (process.env["UPDATE_GOLDENS"] === "1") {
      writeFileSync(file, text.replace(m[0], `${m[1]}${want}${m[3]}`));
      return;
    }
    assert.equal(m[2], want, `the findings list in ${file} differs from src/findings/*.ts meta; run UPDATE_GOLDENS=1 npm test and review the diff`);
  });
}
