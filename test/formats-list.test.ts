/**
 * src/formats-list.ts is generated from src/registry.ts so that the command
 * line starts without loading any parser: this fails when it differs, and
 * UPDATE_GOLDENS=1 rewrites it (review the diff).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { FORMATS } from "../src/registry.js";
import { FORMAT_LIST } from "../src/formats-list.js";

const FILE = "src/formats-list.ts";

test("src/formats-list.ts lists every format of src/registry.ts, in its order, with its title, kinds and commands", () => {
  const text = readFileSync(FILE, "utf8");
  const start = text.indexOf("[\n", text.indexOf("FORMAT_LIST")) + 2;
  const end = text.lastIndexOf("];");
  const rows = FORMATS.map((f) => `  { id: ${JSON.stringify(f.id)}, title: ${JSON.stringify(f.title)}, kinds: ${JSON.stringify(f.kinds)}, commands: ${JSON.stringify(f.commands)} },\n`).join("");
  if (process.env["UPDATE_GOLDENS"] === "1") {
    writeFileSync(FILE, text.slice(0, start) + rows + text.slice(end));
    return;
  }
  assert.equal(text.slice(start, end), rows, `${FILE} differs from src/registry.ts; run UPDATE_GOLDENS=1 npm test and review the diff`);
  assert.deepEqual(
    FORMAT_LIST.map((f) => ({ ...f })),
    FORMATS.map((f) => ({ id: f.id, title: f.title, kinds: f.kinds, commands: f.commands })),
  );
});
