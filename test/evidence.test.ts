/**
 * Evidence text comes from the sources themselves (ByteSource.open()), never
 * from a path: stdin is kept so it can be opened again, and the lines picked
 * from any chunking of a source are the lines the parse driver numbered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { pickSourceLines } from "../src/analyze/evidence.js";
import { stdinSource } from "../src/input/read.js";
import { runCli } from "./_io.js";
import { chunkedSource } from "./_sources.js";

const NETSTAT = "samples/lab-proxy/commands/netstat_-tanpeW";

test("analyze cites stdin lines with their text (it had none before the sources were re-opened)", async () => {
  const text = readFileSync(NETSTAT, "utf8");
  const lines = text.split("\n");
  const r = await runCli(["analyze", "--to", "json", "-", "samples/lab-proxy/docker", "samples/lab-proxy/commands/ps_-efww"], { stdin: text });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { flows: { evidence: { file: string; line: number; text?: string }[] }[] };
  const cited = doc.flows.flatMap((f) => f.evidence).filter((e) => e.file === "-");
  assert.ok(cited.length >= 10, `${cited.length} stdin citations`);
  for (const e of cited) assert.equal(e.text, lines[e.line - 1]!.trim().slice(0, 240), `-:${e.line}`);
  // the same report as from the file, but for the name
  const fromFile = await runCli(["analyze", "--to", "json", NETSTAT, "samples/lab-proxy/docker", "samples/lab-proxy/commands/ps_-efww"]);
  assert.equal(r.stdout.replaceAll(`"file": "-"`, `"file": "${NETSTAT}"`).replace(/"name": "-"/g, `"name": "${NETSTAT}"`), fromFile.stdout.replace(/"name": "-"/g, `"name": "${NETSTAT}"`));
});


test("pickSourceLines gives the lines LF splitting gives, CR dropped, for any chunking", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.string({ unit: fc.constantFrom("a", "é", "€", " ", "\r", "x") }), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 14 }), { maxLength: 6 }),
      async (lines, cuts, want) => {
        const bytes = Buffer.from(lines.join("\n"), "utf8");
        const picked = await pickSourceLines(chunkedSource("x", bytes, cuts), want);
        // as LineReader counts: the empty piece after a final LF is no line
        const all = lines.join("\n").split("\n");
        if (all[all.length - 1] === "") all.pop();
        const expected = new Map<number, string>();
        for (const n of want) if (n <= all.length) expected.set(n, all[n - 1]!.replace(/\r$/, ""));
        assert.deepEqual(new Map([...picked].sort()), new Map([...expected].sort()));
      },
    ),
  );
});

test("stdin can be opened again, also while the first reader is still reading", async () => {
  const chunks = ["one\n", "two\nthr", "ee\n"];
  const s = stdinSource(
    (async function* () {
      for (const c of chunks) yield Buffer.from(c);
    })(),
  );
  const first = s.open()[Symbol.asyncIterator]();
  assert.equal(String((await first.next()).value), "one\n");
  const second: string[] = [];
  for await (const c of s.open()) second.push(String(c));
  const rest: string[] = [];
  for (let n = await first.next(); !n.done; n = await first.next()) rest.push(String(n.value));
  assert.deepEqual(second, chunks);
  assert.deepEqual(rest, chunks.slice(1));
  const once = stdinSource((async function* () { yield Buffer.from("x"); })(), { replayable: false });
  for await (const _ of once.open());
  await assert.rejects(async () => { for await (const _ of once.open()); }, /only be read once/);
});
