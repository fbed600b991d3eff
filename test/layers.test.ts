/**
 * The pipeline's module boundaries: commands are command-line adapters over
 * the library (src/api.ts) and import nothing from src/analyze/, src/output/
 * or src/findings/; nothing in the library imports a command.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}
/** Every module a file imports (static, dynamic and type imports), resolved against src/. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((s) => path.relative("src", path.join(path.dirname(file), s)));
}

test("src/commands imports nothing from src/analyze, src/output or src/findings", () => {
  const bad = files("src/commands").flatMap((f) => imports(f).filter((i) => /^(analyze|output|findings)\//.test(i)).map((i) => `${f} -> ${i}`));
  assert.deepEqual(bad, []);
});

test("nothing in src/analyze, src/output, src/findings or the library imports a command", () => {
  const lib = [...files("src/analyze"), ...files("src/output"), ...files("src/findings"), "src/api.ts"];
  const bad = lib.flatMap((f) => imports(f).filter((i) => i.startsWith("commands/")).map((i) => `${f} -> ${i}`));
  assert.deepEqual(bad, []);
});

test("no analysis stage re-reads an input by path", () => {
  const bad = [...files("src/analyze"), ...files("src/output"), ...files("src/findings")].filter((f) => /pickLines|LineWalker|readFileSync|readSync|createReadStream|fs\/promises/.test(readFileSync(f, "utf8")));
  assert.deepEqual(bad, []);
});

test("every command spells the output format --to and the output file -o/--output", async () => {
  const { runCli } = await import("./_io.js");
  for (const cmd of ["analyze", "convert", "trace", "formats"]) {
    const help = (await runCli([cmd, "--help"])).stdout;
    assert.match(help, /--to\b/, `${cmd} --help has no --to`);
    assert.match(help, /-o, --output\b/, `${cmd} --help has no -o/--output`);
  }
  const analyze = (await runCli(["analyze", "--help"])).stdout;
  assert.match(analyze, /--to, --format, -f|--format/, "analyze keeps --format as an alias");
});
