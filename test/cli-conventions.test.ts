/**
 * Command-line conventions, through the real binary (node dist/src/cli.js):
 * -h/-V everywhere, unknown commands, per-command hints, one output-format
 * spelling, exit statuses as documented, colour from the environment, the
 * analyze report wrapped to a terminal only, --csv-raw, binary inputs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";
import { COMMANDS, EXIT_STATUS, didYouMean } from "../src/main.js";

const CLI = "dist/src/cli.js";
const TCP = "test/fixtures/proc-net-tcp/lab/proc/7768/net/tcp";
const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

function natlens(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  for (const k of ["FORCE_COLOR", "NO_COLOR", "SHELL", "ZSH_NAME"]) delete base[k];
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...base, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("-h and --help at the top level and per command print help to stdout, exit 0", () => {
  for (const args of [["-h"], ["--help"], ["convert", "-h"], ["analyze", "--help"], ["trace", "-h"], ["batch", "-h"], ["merge", "-h"], ["formats", "-h"]]) {
    const r = natlens(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, args.length === 1 ? /^natlens <command> \[options\]/ : new RegExp(`^natlens ${args[0]}\\b`));
    assert.match(r.stdout, /Exit status: 0 /);
  }
});

test("-V and --version print package.json's version, at the top level and after a command", () => {
  for (const args of [["-V"], ["--version"], ["convert", "-V"], ["analyze", "--version"]]) {
    const r = natlens(args);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${VERSION}\n`, ""], args.join(" "));
  }
  assert.ok(!readFileSync("src/main.ts", "utf8").includes(`"${VERSION}"`), "the version is written only in package.json");
});

test("an unknown command is named, with the command it most likely meant, exit 2", () => {
  const typo = natlens(["analyse", "x"]);
  assert.equal(typo.code, 2);
  assert.equal(typo.stdout, "");
  assert.match(typo.stderr, /^natlens: error: unknown command "analyse" \(did you mean analyze\?\)\n/);
  assert.match(typo.stderr, /try 'natlens --help'\n$/);
  const bogus = natlens(["bogus"]);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /^natlens: error: unknown command "bogus"\n {4}hint: the commands are convert, analyze, trace, batch, merge, formats, completion\n/);
  assert.equal(didYouMean("conv"), "convert");
  assert.equal(didYouMean("tarce"), "trace");
  assert.equal(didYouMean("fromats"), "formats");
  assert.equal(didYouMean("xyzzy"), null);
});

test("a usage error points at the command's own --help", () => {
  for (const cmd of ["convert", "analyze", "trace", "batch", "merge"]) {
    const r = natlens([cmd]);
    assert.equal(r.code, 2, cmd);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^natlens: error: ${cmd}: no (input|shard directory) given\n {4}hint: .+\ntry 'natlens ${cmd} --help'\n$`));
  }
  const bad = natlens(["convert", "--to", "xml", TCP]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /try 'natlens convert --help'\n$/);
});

test("the output format is --to on every command, with --format and -f as aliases that work", async () => {
  for (const cmd of ["convert", "analyze", "trace", "formats"]) {
    const help = natlens([cmd, "--help"]).stdout;
    assert.match(help, /-f, --to, --format\b/, `${cmd} --help`);
  }
  const to = await runCli(["convert", "--to", "json", TCP]);
  const format = await runCli(["convert", "--format", "json", TCP]);
  const f = await runCli(["convert", "-f", "json", TCP]);
  assert.equal(format.stdout, to.stdout);
  assert.equal(f.stdout, to.stdout);
  assert.equal((await runCli(["formats", "-f", "json"])).stdout, (await runCli(["formats", "--to", "json"])).stdout);
});

test("--debug is documented in --help", () => {
  assert.match(natlens(["--help"]).stdout, /--debug +on an internal error/);
});

test("every command's --help and README.md give the same exit statuses", () => {
  const readme = readFileSync("README.md", "utf8");
  for (const cmd of Object.keys(EXIT_STATUS)) {
    const text = EXIT_STATUS[cmd]!;
    assert.ok(natlens([cmd, "--help"]).stdout.includes(text), `${cmd} --help`);
    assert.ok(readme.includes(`| \`${cmd}\` | ${text.replace(/^Exit status: /, "")} |`), `README.md's exit status row of ${cmd}`);
  }
  assert.deepEqual(Object.keys(EXIT_STATUS).sort(), COMMANDS.filter((c) => c !== "completion").sort());
});

test("colour: FORCE_COLOR turns it on when piped and FORCE_COLOR=0 off on a terminal; NO_COLOR off; --color wins", async () => {
  assert.ok(natlens(["convert", TCP], { FORCE_COLOR: "1" }).stdout.includes("\u001b["), "FORCE_COLOR=1 piped");
  assert.ok(natlens(["convert", TCP], { FORCE_COLOR: "" }).stdout.includes("\u001b["), "FORCE_COLOR= piped");
  assert.ok(!natlens(["convert", TCP]).stdout.includes("\u001b["), "piped, no FORCE_COLOR");
  assert.ok(!natlens(["convert", "--color", "never", TCP], { FORCE_COLOR: "1" }).stdout.includes("\u001b["), "--color never wins");
  assert.ok(!(await runCli(["convert", TCP], { tty: true, env: { FORCE_COLOR: "0" } })).stdout.includes("\u001b["), "FORCE_COLOR=0 on a TTY");
  assert.ok(!(await runCli(["convert", TCP], { tty: true, env: { NO_COLOR: "1" } })).stdout.includes("\u001b["), "NO_COLOR on a TTY");
  assert.ok((await runCli(["convert", TCP], { tty: true, env: { NO_COLOR: "1", FORCE_COLOR: "1" } })).stdout.includes("\u001b["), "FORCE_COLOR over NO_COLOR");
});

const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

test("analyze's text report is wrapped to the terminal's width, and only on a terminal", async () => {
  const piped = await runCli(["analyze", "samples/lab-proxy"]);
  assert.equal(piped.code, 0);
  assert.ok(piped.stdout.split("\n").some((l) => l.length > 100), "piped output keeps long lines whole");
  const wide = await runCli(["analyze", "-o", path.join(os.tmpdir(), `natlens-wrap-${process.pid}.txt`), "samples/lab-proxy"], { tty: true, columns: 60 });
  assert.equal(wide.code, 0);
  for (const width of [60, 80, 132]) {
    for (const color of ["never", "always"]) {
      const tty = await runCli(["analyze", "--color", color, "samples/lab-proxy"], { tty: true, columns: width });
      const lines = plain(tty.stdout).split("\n");
      const over = lines.filter((l) => l.length > width);
      assert.deepEqual(over, [], `${width} columns, --color ${color}`);
      // the same text in the same order: wrapping only adds line breaks (and cuts a word longer than a line)
      const words = (s: string) => plain(s).replace(/\s+/g, "");
      assert.equal(words(tty.stdout), words(piped.stdout));
    }
  }
  const narrow = plain((await runCli(["analyze", "samples/lab-proxy"], { tty: true, columns: 80 })).stdout).split("\n");
  // an explanation continues under its first word, an evidence line two columns deeper
  const i = narrow.findIndex((l) => l.startsWith("      a host process dialled"));
  assert.ok(i > 0 && narrow[i + 1]!.startsWith("      ") && !narrow[i + 1]!.startsWith("       "), narrow.slice(i, i + 2).join("\n"));
});

test("flows by path never prints an empty list", async () => {
  const r = await runCli(["analyze", "samples/lab-proxy/commands/ip_-o_addr"]);
  assert.match(r.stdout, /^flows by path: none\n$/m);
});

test("analyze --to csv --csv-raw keeps the cells as they are; without it controls are made visible", async () => {
  const bundle = "test/fixtures/_bundles/handwritten-hostile-lab";
  const safe = await runCli(["analyze", "--to", "csv", bundle]);
  const raw = await runCli(["analyze", "--to", "csv", "--csv-raw", bundle]);
  assert.ok(!safe.stdout.includes("\u202e") && safe.stdout.includes("\\u202e"));
  assert.ok(raw.stdout.includes("\u202e") && !raw.stdout.includes("\\u202e"));
  assert.match(natlens(["analyze", "--help"]).stdout, /--csv-raw .*unsafe to open in a spreadsheet/);
});

test("convert and analyze of a binary file refuse it the same way: exit 2, nothing on stdout", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-binary-"));
  try {
    const file = path.join(dir, "capture.bin");
    writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe, 0, 0, 10, 0x41, 0]));
    const results = ["convert", "analyze"].flatMap((cmd) => [[cmd, file], [cmd, "--to", "csv", file]]).map((args) => ({ args, r: natlens(args) }));
    for (const { args, r } of results) {
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
      assert.match(r.stderr, /\[E_BINARY\]/);
      assert.match(r.stderr, /natlens: error: none of the inputs is a capture natlens reads: \S*capture\.bin \(binary\)\n {4}hint: .*\n$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("natlens completion --help explains it, and a stray word is a usage error, not the script", () => {
  const help = natlens(["completion", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^natlens completion\n\nPrint a shell completion script/);
  assert.doesNotMatch(help.stdout, /begin-natlens-completions/);
  const bash = natlens(["completion", "bash"]);
  assert.equal(bash.code, 2);
  assert.equal(bash.stdout, "");
  assert.match(bash.stderr, /^natlens: error: completion takes no arguments \(got "bash"\)\n {4}hint: it prints the script for \$SHELL/);
});

test("natlens completion prints yargs' bash script, zsh's when $SHELL is zsh, and the script's query completes commands", () => {
  const bash = natlens(["completion"], { SHELL: "/bin/bash" });
  assert.equal(bash.code, 0);
  assert.match(bash.stdout, /complete -o bashdefault -o default -F _natlens_yargs_completions natlens/);
  assert.match(bash.stdout, /natlens --get-yargs-completions/);
  const zsh = natlens(["completion"], { SHELL: "/usr/bin/zsh" });
  assert.match(zsh.stdout, /^#compdef natlens\n/);
  const words = natlens(["--get-yargs-completions", "natlens", "ana"]).stdout.split("\n");
  assert.ok(words.includes("analyze"), words.join(" "));
  const opts = natlens(["--get-yargs-completions", "natlens", "analyze", "--"]).stdout.split("\n");
  for (const o of ["--to", "--csv-raw", "--netns"]) assert.ok(opts.includes(o), `${o} in ${opts.join(" ")}`);
});
