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

/** Rows of a CSV output (the header, the file column and the netns its path hints left out). */
function csvRows(csv: string): string[] {
  return csv
    .trimEnd()
    .split("\r\n")
    .slice(1)
    .map((l) => l.split(",").filter((_, i) => i !== 0 && i !== 3).join(","));
}

test("inputs that are streams: <(command), /dev/stdin and a FIFO are read, archives too", () => {
  const want = sh(`natlens convert --to csv ${TCP}`);
  assert.equal(want.status, 0, want.stderr);
  const rows = csvRows(want.stdout);
  assert.ok(rows.length > 5);
  for (const cmd of [`natlens convert --to csv <(cat ${TCP})`, `cat ${TCP} | natlens convert --to csv /dev/stdin`, `natlens convert --to csv <(gzip -c ${TCP})`]) {
    const r = sh(cmd);
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    assert.deepEqual(csvRows(r.stdout), rows, cmd);
  }
  const fifo = path.join(work, "fifo-in");
  const r = sh(`mkfifo ${fifo}; (cat ${TCP} > ${fifo} &); natlens convert --to csv ${fifo}`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(csvRows(r.stdout), rows);
  // analyze re-reads cited lines: a stream is kept for that
  const a = sh(`natlens analyze --to json <(cat samples/lab-proxy/commands/netstat_-tanpeW) samples/lab-proxy/docker`);
  assert.notEqual(a.status, 2, a.stderr);
  assert.match(a.stdout, /"file": "\/dev\/fd\/\d+"/);
});

test("walking a directory: a FIFO is skipped with a warning (no hang); links out of the tree, loops, sockets are reported", () => {
  const dir = path.join(work, "odd-tree");
  const r0 = sh(
    `mkdir -p ${dir}/proc/net ${dir}/dumps && cp ${TCP} ${dir}/proc/net/tcp && mkfifo ${dir}/proc/net/udp && ln -s tcp6 ${dir}/proc/net/tcp6 && ln -s /nonexistent-x ${dir}/proc/net/udp6` +
      ` && python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" ${dir}/dumps/unix.sock`,
  );
  assert.equal(r0.status, 0, r0.stderr);
  const r = spawnSync("bash", ["-c", `${CLI} convert --to csv ${dir} 2>&1 >/dev/null`], { encoding: "utf8", timeout: 20_000 });
  assert.equal(r.error, undefined, "no hang on the FIFO");
  assert.match(r.stdout, /proc\/net\/udp: a FIFO \(named pipe\), not read while walking a directory \[W_SKIPPED_ENTRY\]/);
  assert.match(r.stdout, /proc\/net\/tcp6 -> tcp6: a loop of links, not followed \[W_LINK_NOT_FOLLOWED\]/);
  assert.match(r.stdout, /proc\/net\/udp6 -> \/nonexistent-x: a broken link .* \[W_LINK_NOT_FOLLOWED\]/);
  assert.doesNotMatch(r.stdout, /unix\.sock/, "a socket is an info: only with -v");
  const v = sh(`natlens convert -v --to csv ${dir} 2>&1 >/dev/null`);
  assert.match(v.stdout, /dumps\/unix\.sock: a socket, not read \[I_SKIPPED_ENTRY\]/);
  // a link to a file of the tree is read where it points, silently (sosreport's root links)
  const sos = sh(`natlens analyze -v --to json samples/lab-proxy-sos 2>&1 >/dev/null`);
  assert.doesNotMatch(sos.stdout, /LINK_NOT_FOLLOWED|SKIPPED_ENTRY/);
});

test("UTF-16 captures (LE with BOM as PowerShell writes, LE and BE without) are decoded, cited lines too", () => {
  const text = readFileSync(TCP, "utf8");
  const rows = csvRows(sh(`natlens convert --to csv ${TCP}`).stdout);
  const le = Buffer.from(text, "utf16le");
  const be = Buffer.from(le).swap16();
  const files: Record<string, Buffer> = {
    "le-bom": Buffer.concat([Buffer.of(0xff, 0xfe), le]),
    le,
    "be-bom": Buffer.concat([Buffer.of(0xfe, 0xff), be]),
    be,
  };
  for (const [name, bytes] of Object.entries(files)) {
    const f = path.join(work, `tcp-${name}`);
    writeFileSync(f, bytes);
    const r = sh(`natlens convert --to csv -v ${f}`);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.deepEqual(csvRows(r.stdout), rows, name);
    assert.match(r.stderr, new RegExp(`decoded from UTF-16${name.startsWith("le") ? "LE" : "BE"} .*\\[I_UTF16\\]`), name);
    assert.doesNotMatch(r.stderr, /binary/);
  }
  // analyze: evidence lines of a UTF-16 netstat are cited as text
  const ns = path.join(work, "netstat-utf16.txt");
  writeFileSync(ns, Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(readFileSync("samples/lab-proxy/commands/netstat_-tanpeW", "utf8").replace(/\n/g, "\r\n"), "utf16le")]));
  const a = sh(`natlens analyze --to json ${ns} samples/lab-proxy/docker samples/lab-proxy/commands/conntrack_-L_-o_extended`);
  assert.notEqual(a.status, 2, a.stderr);
  const cited = [...a.stdout.matchAll(/"text": "(tcp[^"]*)"/g)].map((m) => m[1]!);
  assert.ok(cited.length > 0, "netstat lines cited");
  for (const t of cited) assert.doesNotMatch(t, /\\u0000|\u0000/);
});

test("a NUL byte in a text capture skips that line only; a binary file is still refused as binary", () => {
  const lines = readFileSync(TCP, "utf8").split("\n");
  const f = path.join(work, "tcp-nul");
  writeFileSync(f, [...lines.slice(0, 3), "\u0000".repeat(4096), lines[3]!.replace(":", ":\u0000"), ...lines.slice(4)].join("\n"));
  const r = sh(`natlens convert --to csv ${f}`);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^natlens: ${f}:4: error: line holds NUL bytes: skipped \\(the rest of the input is text\\) \\[E_NUL_BYTE\\]`, "m"));
  assert.match(r.stderr, new RegExp(`^natlens: ${f}:5: error: .*\\[E_NUL_BYTE\\]`, "m"));
  assert.equal(csvRows(r.stdout).length, lines.filter((l) => /^\s*\d+:/.test(l)).length - 1);
  const bin = path.join(work, "random.bin");
  writeFileSync(bin, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
  const b = sh(`natlens convert ${bin}`);
  assert.match(b.stderr, /binary content, not a text capture \[E_BINARY\]/);
});

test("a line over the limit (default 1M) is skipped unread with a clear error; --max-line-bytes raises it", () => {
  const lines = readFileSync(TCP, "utf8").split("\n");
  const f = path.join(work, "tcp-long");
  writeFileSync(f, [...lines.slice(0, 2), "x".repeat(3 << 20), ...lines.slice(2)].join("\n"));
  const want = csvRows(sh(`natlens convert --to csv ${TCP}`).stdout).length;
  // both /proc/net paths (the CSV fast path and the generic reader) skip it alike
  for (const to of ["csv", "json"]) {
    const r = sh(`natlens convert --to ${to} ${f}`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^natlens: ${f}:3: error: line of 3,145,728 characters is longer than the 1,048,576 allowed: skipped unread \\[E_LINE_TOO_LONG\\]\\n {4}hint: .*--max-line-bytes`, "m"));
    if (to === "csv") assert.equal(csvRows(r.stdout).length, want);
  }
  const raised = sh(`natlens convert --to csv --max-line-bytes 4M ${f}`);
  assert.doesNotMatch(raised.stderr, /E_LINE_TOO_LONG/);
  assert.match(raised.stderr, new RegExp(`${f}:3: error: .*\\[E_PROC_NET_ROW\\]`));
  const bad = sh(`natlens convert --max-line-bytes lots ${f}`);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--max-line-bytes "lots" is not a size/);
});

test("--netns with a file that is not an input, and trace --proto with no such protocol, are usage errors", () => {
  const missing = sh(`natlens analyze samples/lab-proxy --netns foo=/nope`);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^natlens: error: --netns foo=\/nope: no such file\n {4}hint: /);
  const notInput = sh(`natlens analyze samples/lab-proxy/commands --netns foo=${TCP}`);
  assert.equal(notInput.status, 2);
  assert.match(notInput.stderr, /is not one of the inputs\n {4}hint: give it as an input too/);
  const dotted = sh(`natlens analyze --to json samples/lab-proxy --netns web=./samples/lab-proxy/proc/net/tcp`);
  assert.notEqual(dotted.status, 2, dotted.stderr);
  const proto = sh(`natlens trace ${RULES} --src 198.51.100.10 --dst 198.51.100.1:5000 --in eth0 --proto bogus`);
  assert.equal(proto.status, 2);
  assert.match(proto.stderr, /^natlens: error: --proto "bogus" is not a protocol\n {4}hint: one of: tcp, udp,/);
  const num = sh(`natlens trace ${RULES} --src 198.51.100.10 --dst 198.51.100.1:5000 --in eth0 --proto 6`);
  assert.notEqual(num.status, 2, num.stderr);
});

test("diagnostics have a budget per run: 300 unrecognised files print 100 in full, then one count; JSON keeps all", () => {
  const dir = path.join(work, "many");
  // one real capture among them: a run where no input at all is readable is refused (exit 2, nothing written)
  sh(`mkdir -p ${dir} && for i in $(seq 1 300); do echo "hello world $i" > ${dir}/f$i.txt; done && cp ${TCP} ${dir}/f0.txt`);
  const r = sh(`natlens convert --to json '${dir}/*.txt'`);
  assert.equal(r.status, 1);
  const stderr = r.stderr.trimEnd().split("\n");
  assert.ok(stderr.length <= 100 * 2 + 2, `${stderr.length} stderr lines`);
  assert.equal(stderr.filter((l) => /\[E_UNKNOWN_FORMAT\]$/.test(l)).length, 100);
  assert.equal(stderr[stderr.length - 1], "natlens: ...and 200 more [E_UNKNOWN_FORMAT] in 200 inputs past the first 100 diagnostics (use --verbose to see all)");
  const json = JSON.parse(r.stdout) as { diagnostics: { code: string }[] };
  assert.equal(json.diagnostics.filter((d) => d.code === "E_UNKNOWN_FORMAT").length, 300);
  const v = sh(`natlens convert -v --to json '${dir}/*.txt' 2>&1 >/dev/null | grep -c E_UNKNOWN_FORMAT`);
  assert.equal(v.stdout.trim(), "300");
});

test("analyze refuses a directory holding several host bundles (use batch), unless --merge-hosts", () => {
  const fleet = path.join(work, "fleet");
  for (const h of ["web01", "web02"]) sh(`mkdir -p ${fleet}/${h}/proc/net && echo ${h} > ${fleet}/${h}/hostname && cp ${TCP} ${fleet}/${h}/proc/net/tcp`);
  const r = sh(`natlens analyze ${fleet}`);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`^natlens: error: 2 host bundles found \\(${fleet}/web01, ${fleet}/web02\\): use \`natlens batch\`\\n {4}hint: natlens batch ${fleet} --out DIR analyses each host on its own; --merge-hosts`));
  const two = sh(`natlens analyze ${fleet}/web01 ${fleet}/web02`);
  assert.equal(two.status, 2);
  assert.match(two.stderr, /2 host bundles found/);
  const merged = sh(`natlens analyze --merge-hosts ${fleet}`);
  assert.notEqual(merged.status, 2, merged.stderr);
  assert.match(merged.stdout, /^host /);
  const one = sh(`natlens analyze ${fleet}/web01`);
  assert.notEqual(one.status, 2, one.stderr);
});

test("batch and merge: a summary to a full stdout, and a full output disk, stop with one line and exit 2", (t) => {
  const out = path.join(work, "batch-out");
  const r = sh(`natlens batch samples/lab-proxy --out ${out} > /dev/full`);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^natlens: error: cannot write standard output: no space left on device \(ENOSPC\)$/m);
  const merged = sh(`natlens merge ${out} --out ${path.join(work, "merged")} > /dev/full`);
  assert.equal(merged.status, 2, merged.stderr);
  assert.match(merged.stderr, /^natlens: error: cannot write standard output: no space left on device \(ENOSPC\)$/m);
  // a disk that fills up while host reports are written: a tiny tmpfs (needs mount rights)
  const small = path.join(work, "small-disk");
  const mounted = sh(`mkdir -p ${small} && mount -t tmpfs -o size=64k tmpfs ${small}`);
  if (mounted.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
  try {
    const full = sh(`natlens batch samples/lab-proxy samples/lab28-noproxy --out ${small}/out -q -j 1`);
    assert.equal(full.status, 2, full.stderr);
    assert.match(full.stderr, new RegExp(`^natlens: error: cannot write ${small}/out/hosts/[^ ]+: no space left on device \\(ENOSPC\\)\\n {4}hint: free some space`, "m"));
    assert.doesNotMatch(full.stderr + full.stdout, /internal error/);
  } finally {
    sh(`umount ${small}`);
  }
});
