/** The command line: exit codes, stderr discipline, colour rules, inputs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";

const TCP = "test/fixtures/proc-net-tcp/lab/proc/7768/net/tcp";
const EDGE = "test/fixtures/proc-net-tcp/handwritten-edge-rows.txt";

test("convert of a clean capture exits 0 and prints an aligned table", async () => {
  const r = await runCli(["convert", TCP]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^NETNS\s+PROTO\s+LOCAL_IP/);
  assert.equal(lines.length, 1 + 19);
  assert.ok(!r.stdout.includes("\u001b["), "no colour when stdout is not a TTY");
});

test("skipped lines: diagnostics on stderr with file:line and code, exit 1", async () => {
  const r = await runCli(["convert", "--to", "csv", EDGE]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^natlens: ${EDGE}:7: error: .*\\[E_PROC_NET_ROW\\]$`, "m"));
  assert.match(r.stderr, /hint: /);
  assert.match(r.stdout, /^file,line,format,netns,proto,family,local_ip,local_port,remote_ip,remote_port,state,/);
});

test("--strict stops at the first error with exit 2 and writes nothing", async () => {
  const r = await runCli(["convert", "--strict", "--to", "csv", EDGE]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /--strict/);
  // the stop is not a parser failure: the one error that stopped it, no E_INTERNAL after it
  assert.equal(r.stderr.match(/: error: /g)?.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /E_INTERNAL|please report/);
});

test("usage errors: one line, a hint, exit 2", async () => {
  const r = await runCli(["convert", "--to", "xml", TCP]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^natlens: error: --to "xml" is not one of its choices\n    hint: choose one of text, json, ndjson, csv\n/);
  assert.doesNotMatch(r.stderr, /\\x0a/, "yargs' two-line message is not printed with an escaped line break");
  assert.match(r.stderr, /try 'natlens convert --help'/);
  assert.equal(r.stdout, "");
  const none = await runCli([]);
  assert.equal(none.code, 2);
});

test("an option before the inputs that takes the only input as its value says so", async () => {
  for (const flag of ["--strict", "--netns"]) {
    const r = await runCli(["analyze", flag, TCP]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^natlens: error: analyze: no input given: ${flag} took "${TCP}" as its value\n    hint: .*natlens analyze --help`), r.stderr);
  }
  // an unknown option after the input is reported by name
  const after = await runCli(["analyze", TCP, "--strict"]);
  assert.equal(after.code, 2);
  assert.match(after.stderr, /Unknown argument: strict/);
});

test("a missing input is exit 2", async () => {
  const r = await runCli(["convert", "no/such/file"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no such file or directory/);
});

test("--help goes to stdout with exit 0", async () => {
  const r = await runCli(["convert", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--to/);
  assert.match(r.stdout, /Exit status: 0/);
});

test("stdin with -", async () => {
  const r = await runCli(["convert", "-", "--to", "ndjson"], { stdin: readFileSync(TCP, "utf8") });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.kind === "socket").length, 19);
  const input = lines.find((l) => l.kind === "input");
  assert.equal(input.file, "-");
  assert.equal(input.lines, 20);
});

test("colour: on for a TTY, off with NO_COLOR or --color never, on with --color always", async () => {
  const tty = await runCli(["convert", TCP], { tty: true });
  assert.ok(tty.stdout.includes("\u001b["));
  const noColor = await runCli(["convert", TCP], { tty: true, env: { NO_COLOR: "1" } });
  assert.ok(!noColor.stdout.includes("\u001b["));
  const never = await runCli(["convert", "--color", "never", TCP], { tty: true });
  assert.ok(!never.stdout.includes("\u001b["));
  const always = await runCli(["convert", "--color", "always", TCP]);
  assert.ok(always.stdout.includes("\u001b["));
  const csv = await runCli(["convert", "--to", "csv", "--color", "always", TCP]);
  assert.ok(!csv.stdout.includes("\u001b["), "CSV is never coloured");
});

test("-o writes a file; JSON document has the records@1 shape", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-"));
  const out = path.join(dir, "out.json");
  const r = await runCli(["convert", "--to", "json", "-o", out, "test/fixtures/proc-net-tcp/lab"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  const doc = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(doc.schema, "natlens/records@1");
  for (const key of ["sockets", "processes", "inputs", "diagnostics"]) assert.ok(Array.isArray(doc[key]), key);
  assert.equal(doc.inputs.length, 4);
  assert.ok(doc.inputs.every((i: { format: string }) => i.format === "proc-net-tcp"));
  const s = doc.sockets[0];
  for (const key of ["localIp", "localPort", "remoteIp", "remotePort", "state", "family", "proto", "inode", "uid", "pid", "program"]) assert.ok(key in s, key);
  assert.deepEqual(Object.keys(s.source), ["file", "line"]);
  assert.equal(s.netns, "pid:7768");
  assert.ok(!existsSync(out + ".natlens-tmp"));
});

test("a foreign or unknown file named on the command line is an error; when it is the only input, exit 2 and nothing written", async () => {
  const r = await runCli(["convert", "--to", "json", "test/fixtures/_reject/handwritten-windows-netstat.txt"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  const withOther = await runCli(["convert", "--to", "json", "test/fixtures/_reject/handwritten-windows-netstat.txt", TCP]);
  assert.equal(withOther.code, 1);
  assert.match(withOther.stderr, /Windows netstat output is not supported \[E_FOREIGN_FORMAT\]/);
  assert.match(r.stderr, /Windows netstat output is not supported \[E_FOREIGN_FORMAT\]/);
});

test("formats lists every format with its command", async () => {
  const r = await runCli(["formats"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^proc-net-tcp\s+/m);
  assert.match(r.stdout, /cat \/proc\/net\/tcp/);
  // and how pasted terminal text is read
  assert.match(r.stdout, /^pasted terminal text: /m);
  assert.match(r.stdout, /\[user@host dir\]\$/);
});

test("an empty capture is not an error: exit 0, reported with --verbose", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-"));
  const empty = path.join(dir, "ip6tables-save");
  writeFileSync(empty, "\n");
  const r = await runCli(["convert", "--verbose", "--to", "json", empty]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /empty input: nothing to parse \[I_EMPTY\]/);
});

test("csv/text default to the main record kind of the input's format (rules for a rule dump)", async () => {
  const r = await runCli(["convert", "--to", "csv", "samples/lab-proxy/commands/iptables-save_-c"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^file,line,format,family,table,chain,position,/);
  const mixed = await runCli(["convert", "--to", "csv", "samples/lab-proxy/commands/iptables-save_-c", TCP]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /several record kinds \(rules, sockets\)/);
});
