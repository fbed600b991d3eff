/**
 * natlens as a Unix tool at its edges, through the real binary and a real shell:
 * output that cannot be written (a full device, a closed stdout, a reader that
 * went away, -o paths), inputs that are streams, and large or odd trees.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const CLI = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.resolve("dist/src/cli.js"))}`;
const TCP = "samples/lab-proxy/proc/net/tcp";
const RULES = "samples/lab-proxy/commands/iptables-save_-c";

interface Sh {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a bash command line in which `natlens` is the real binary. */
function sh(script: string, opts: { cwd?: string } = {}): Sh {
  const r = spawnSync("bash", ["-c", `natlens() { ${CLI} "$@"; }\n${script}`], { encoding: "utf8", cwd: opts.cwd ?? process.cwd(), maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = mkdtempSync(path.join(tmpdir(), "natlens-unix-"));

/** A /proc/net/tcp of `rows` rows made from the sample's own rows, so its output outgrows a pipe's buffer. */
function bigTcp(rows: number): string {
  const file = path.join(work, `tcp-${rows}`);
  if (existsSync(file)) return file;
  const lines = readFileSync(TCP, "utf8").trimEnd().split("\n");
  const body = lines.slice(1);
  const out = [lines[0]!];
  for (let i = 0; i < rows; i++) out.push(body[i % body.length]!.replace(/^\s*\d+:/, `${String(i).padStart(5)}:`));
  writeFileSync(file, out.join("\n") + "\n");
  return file;
}

test("output to a full device: one line on stderr, exit 2, no stack trace (convert, analyze, trace)", () => {
  for (const cmd of [`natlens convert ${TCP}`, "natlens analyze samples/lab-proxy", `natlens trace ${RULES} --src 198.51.100.10:40002 --dst 198.51.100.1:5000 --in eth0`]) {
    const r = sh(`${cmd} > /dev/full`);
    assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
    assert.equal(r.stderr, "natlens: error: cannot write standard output: no space left on device (ENOSPC)\n", cmd);
  }
});

test("stdout closed (>&-): an error and exit 2, not a silent success; > /dev/null still works", () => {
  const closed = sh(`natlens convert ${TCP} >&-`);
  assert.equal(closed.status, 2, closed.stderr);
  assert.equal(closed.stderr, "natlens: error: cannot write standard output: it is closed (nothing was written)\n");
  const analyzed = sh(`natlens analyze samples/lab-proxy >&-`);
  assert.equal(analyzed.status, 2);
  assert.match(analyzed.stderr, /standard output: it is closed/);
  const devnull = sh(`natlens convert ${TCP} > /dev/null`);
  assert.equal(devnull.status, 0, devnull.stderr);
  assert.equal(devnull.stderr, "");
  // -o FILE does not need stdout
  const file = path.join(work, "closed-o.csv");
  const o = sh(`natlens convert --to csv ${TCP} -o ${file} >&-`);
  assert.equal(o.status, 0, o.stderr);
  assert.match(readFileSync(file, "utf8"), /^file,line,format/);
});

test("a reader that stops early (| head -1) ends the run quietly with 0, as ripgrep does", () => {
  const big = bigTcp(20_000); // ~2.6 MB of CSV: far more than a pipe holds
  for (const redirect of ["", "2>&1"]) {
    const r = sh(`natlens convert --to csv ${big} ${redirect} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`);
    assert.match(r.stdout, /^file,line,format,netns,proto,[a-z_,]+\r\n$/);
    assert.equal(r.stderr, "status=0\n", redirect);
  }
  const analyzed = sh(`natlens analyze --to json samples/lab-proxy | head -c 10 > /dev/null; echo "status=\${PIPESTATUS[0]}" >&2`);
  assert.equal(analyzed.stderr, "status=0\n");
});

test("a slow reader gets every byte (natlens waits for the pipe instead of queueing)", () => {
  const big = bigTcp(20_000);
  const file = path.join(work, "direct.csv");
  const direct = sh(`natlens convert --to csv ${big} -o ${file}`);
  assert.equal(direct.status, 0, direct.stderr);
  for (const redirect of ["", "2>&1"]) {
    const piped = sh(`natlens convert --to csv ${big} ${redirect} | (sleep 0.3; cat)`);
    assert.equal(piped.stdout, readFileSync(file, "utf8"), `slow reader ${redirect}`);
  }
});

test("-o paths that cannot be written are usage errors with a hint, checked before any work", () => {
  const missing = sh(`natlens convert ${TCP} -o /nonexistent/x.csv`);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^natlens: error: -o \/nonexistent\/x\.csv: directory \/nonexistent does not exist\n {4}hint: create it first/);
  assert.doesNotMatch(missing.stderr, /internal error/);
  const dir = sh(`natlens analyze samples/lab-proxy -o ${work}`);
  assert.equal(dir.status, 2);
  assert.match(dir.stderr, new RegExp(`^natlens: error: -o ${work} is a directory\\n {4}hint: name a file to write`));
  const full = sh(`natlens convert ${TCP} -o /dev/full`);
  assert.equal(full.status, 2);
  assert.equal(full.stderr, "natlens: error: cannot write /dev/full: no space left on device (ENOSPC)\n");
});

test("-o stays atomic: the file is replaced whole and no temporary file is left", () => {
  const file = path.join(work, "atomic", "flows.csv");
  sh(`mkdir -p ${path.dirname(file)} && echo old > ${file}`);
  const r = sh(`natlens analyze --to csv samples/lab-proxy -o ${file}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(file, "utf8"), /^host,container,/);
  assert.deepEqual(readdirSync(path.dirname(file)), ["flows.csv"]);
  // a run that stops (--strict) leaves the old file as it was
  const edge = "test/fixtures/proc-net-tcp/handwritten-edge-rows.txt";
  const stopped = sh(`natlens convert --strict --to csv ${edge} -o ${file}`);
  assert.equal(stopped.status, 2);
  assert.match(readFileSync(file, "utf8"), /^host,container,/);
  assert.deepEqual(readdirSync(path.dirname(file)), ["flows.csv"]);
});
