/**
 * Golden files: the expected output lives next to the input as a reviewable
 * file. `UPDATE_GOLDENS=1 npm test` is the only thing that writes them (review
 * with git diff); without it a missing golden fails like a wrong one.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export function assertGolden(file: string, actual: string): void {
  const update = process.env["UPDATE_GOLDENS"] === "1";
  if (update) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing; run UPDATE_GOLDENS=1 npm test and review it`);
  const expected = readFileSync(file, "utf8");
  assert.equal(actual, expected, `output differs from ${file}; if the change is intended run UPDATE_GOLDENS=1 npm test and review the diff`);
}

/** JSON with one record per line: small diffs, easy review. */
export function goldenJson(value: { [key: string]: unknown }): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      parts.push(`  ${JSON.stringify(k)}: [${v.length ? "\n" + v.map((x) => "    " + JSON.stringify(x)).join(",\n") + "\n  " : ""}]`);
    } else parts.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  }
  return `{\n${parts.join(",\n")}\n}\n`;
}
