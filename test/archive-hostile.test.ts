/**
 * Hostile and damaged archives: traversal names, absolute names, duplicate
 * names, links out of the archive, link loops, decompression bombs,
 * truncation and wrong magic. Each gives a clear message, no stack trace, no
 * hang, and writes nothing anywhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli, type RunResult } from "./_io.js";
import { archiveOf, gzip, membersOf, tarOf, zipOf, type Member } from "./_archives.js";

const tmp = mkdtempSync(path.join(tmpdir(), "natlens-hostile-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const IPTABLES = readFileSync("samples/lab-proxy/commands/iptables-save_-c");
const SS = readFileSync("samples/lab-proxy/commands/ss_-tanpeiO");

/** Every path below `dir`, sorted; node_modules and .git are neither listed nor entered (they are large and nothing writes there). */
function listing(dir: string, rel = "", out: string[] = []): string[] {
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (rel === "" && (e.name === "node_modules" || e.name === ".git")) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory()) listing(dir, r, out);
  }
  return rel === "" ? out.sort() : out;
}

/** Run natlens and check what every hostile run must: a diagnostic, no stack trace, nothing new on disk. */
async function hostile(name: string, data: Buffer, args: (file: string) => string[]): Promise<RunResult> {
  const file = path.join(tmp, name);
  writeFileSync(file, data);
  const beforeTmp = listing(tmp);
  const beforeCwd = listing(".");
  const r = await runCli(args(file));
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(listing(tmp), beforeTmp, "nothing written next to the archive");
  assert.deepEqual(listing("."), beforeCwd, "nothing written in the working directory");
  return r;
}

const json = (r: RunResult) => JSON.parse(r.stdout) as { inputs: { file: string }[]; rules: unknown[]; sockets: unknown[]; diagnostics: { code: string; severity: string; message: string; file: string }[] };

test("hostile: names climbing out of the archive are not read; absolute names are read relative to its root", async () => {
  const members: Member[] = [
    { name: "../../natlens-evil-iptables", data: IPTABLES },
    { name: "b/../../../natlens-evil-2", data: IPTABLES },
    { name: "/tmp/natlens-evil-abs/ss", data: SS },
    { name: "b/commands/iptables-save_-c", data: IPTABLES },
  ];
  // yazl refuses to write such names: write same-length stand-ins, then put the hostile names in
  // (local headers and central directory alike; names are not covered by the CRC).
  const standIn = (n: string) => n.replace(/\.\./g, "XX").replace(/^\//, "Y");
  const hostileZip = async () => {
    const zip = await zipOf(members.map((m) => ({ ...m, name: standIn(m.name) })));
    for (const m of members) {
      const from = Buffer.from(standIn(m.name));
      for (let i = zip.indexOf(from); i >= 0; i = zip.indexOf(from, i + 1)) Buffer.from(m.name).copy(zip, i);
    }
    return zip;
  };
  for (const format of ["tar", "zip"] as const) {
    const data = format === "zip" ? await hostileZip() : await archiveOf(format, members);
    const r = await hostile(`traversal.${format}`, data, (f) => ["convert", "--to", "json", f]);
    assert.equal(r.code, 0, r.stderr);
    const out = json(r);
    assert.match(r.stderr, /2 member names climb above the archive root and were not read: "\.\.\/\.\.\/natlens-evil-iptables", "b\/\.\.\/\.\.\/\.\.\/natlens-evil-2" \[W_MEMBER_NAME\]/);
    assert.ok(out.diagnostics.some((d) => d.code === "I_ABSOLUTE_NAMES" && d.message === "1 member name began with / and were read relative to the archive root"));
    const file = path.join(tmp, `traversal.${format}`);
    assert.deepEqual(out.inputs.map((i) => i.file), [file, `${file}!/b/commands/iptables-save_-c`, `${file}!/tmp/natlens-evil-abs/ss`]);
    assert.equal(existsSync("/tmp/natlens-evil-abs"), false);
    assert.equal(existsSync(path.resolve(tmp, "../../natlens-evil-iptables")), false);
  }
});

test("hostile: a repeated member name never replaces the first copy", async () => {
  const r = await hostile(
    "dup.tar",
    await tarOf([
      { name: "b/ss", data: SS },
      { name: "b/ss", data: IPTABLES },
      { name: "./b//ss", data: IPTABLES },
    ]),
    (f) => ["convert", "--to", "json", f],
  );
  const out = json(r);
  assert.match(r.stderr, /2 members repeat an earlier name and were not read \(the first copy was\): b\/ss, b\/ss \[W_DUPLICATE_MEMBER\]/);
  assert.ok(out.sockets.length > 0);
  assert.equal(out.rules.length, 0);
});

test("hostile: links pointing outside the archive or into a loop are never followed", async () => {
  const members: Member[] = [
    { name: "b/commands/iptables-save_-c", data: IPTABLES },
    { name: "b/commands/passwd", type: "symlink", linkname: "/etc/passwd" },
    { name: "b/commands/shadow", type: "symlink", linkname: "../../../etc/shadow" },
    { name: "b/commands/l1", type: "symlink", linkname: "l2" },
    { name: "b/commands/l2", type: "symlink", linkname: "l1" },
    { name: "b/commands/hard", type: "link", linkname: "../etc/hosts" },
    { name: "b/ps", type: "symlink", linkname: "commands/iptables-save_-c" },
  ];
  for (const format of ["tar", "zip"] as const) {
    const data = await archiveOf(format, format === "zip" ? members.filter((m) => m.type !== "link") : members);
    const r = await hostile(`links.${format}`, data, (f) => ["convert", "--to", "json", f]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /root:x:0:0/);
    assert.match(r.stderr, /link members? not followed: .* \[W_LINK_NOT_FOLLOWED\]/);
    for (const shown of ["b/commands/l1 -> l2 (a loop)", "b/commands/l2 -> l1 (a loop)", "b/commands/passwd -> /etc/passwd (outside the archive)", "b/commands/shadow -> ../../../etc/shadow (outside the archive)"]) {
      assert.ok(r.stderr.includes(shown), shown);
    }
    assert.equal(json(r).inputs.length, 2, "the note and the one regular member");

    // the only input named is not read: refused as analyze refuses it (exit 2, nothing written)
    const out = await hostile(`links.${format}`, data, (f) => ["convert", "--to", "json", `${f}!/b/commands/passwd`]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /b\/commands\/passwd is a link that points outside the archive: not followed \[E_LINK_OUTSIDE\]/);
    const loop = await hostile(`links.${format}`, data, (f) => ["convert", "--to", "json", `${f}!/b/commands/l1`]);
    assert.match(loop.stderr, /b\/commands\/l1 is a link in a loop of links: not followed \[E_LINK_LOOP\]/);
    // a link inside the archive is followed when named
    const inside = await hostile(`links.${format}`, data, (f) => ["convert", "--to", "json", `${f}!/b/ps`]);
    assert.equal(inside.code, 0, inside.stderr);
    assert.ok(json(inside).rules.length > 10);
  }
});

test("hostile: a decompression bomb stops at --max-bytes, naming the member; --max-member-bytes refuses a big member", async () => {
  const bomb = Buffer.alloc(24 << 20);
  const members: Member[] = [
    { name: "b/commands/iptables-save_-c", data: IPTABLES },
    { name: "b/zeros", data: bomb },
    { name: "b/z/ss", data: SS },
  ];
  for (const format of ["tar.gz", "zip"] as const) {
    const data = await archiveOf(format, members);
    assert.ok(data.length < 1 << 20, "the bomb is small");
    const r = await hostile(`bomb.${format}`, data, (f) => ["convert", "--to", "json", "--max-bytes", "8M", f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stopped after 8 MiB of uncompressed data while reading member b\/zeros \(--max-bytes\)/);
    assert.ok(json(r).rules.length > 10, "members before the bomb are used");
  }
  const r = await hostile("big-member.tar.gz", await archiveOf("tar.gz", members), (f) => ["convert", "--to", "json", "--max-member-bytes", "10k", f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /member b\/z\/ss holds 16,718 bytes, over the per-member limit of 10 KiB: not read \[E_MEMBER_TOO_BIG\]/);
  assert.match(r.stderr, /member b\/zeros holds 24 MiB/);
  assert.ok(json(r).rules.length > 0, "smaller members are read");
  const bad = await runCli(["convert", "--max-bytes", "lots", "x"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-bytes "lots" is not a size/);
});

test("hostile: a truncated archive reports the damage, uses what came before it, and exits 1", async () => {
  const full = await archiveOf("tar.gz", membersOf("samples/lab-proxy", "b/"));
  const r = await hostile("truncated.tar.gz", full.subarray(0, Math.floor(full.length * 0.6)), (f) => ["analyze", "--format", "json", f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /archive is truncated or corrupt while reading member b\/\S+: unexpected end of file \(\d+ members read before the damage are used\) \[E_ARCHIVE_DAMAGED\]/);
  const report = JSON.parse(r.stdout) as { flows: unknown[]; inputs: { file: string }[] };
  assert.ok(report.inputs.length > 10);

  const tar = await tarOf(membersOf("samples/lab-proxy", "b/"));
  const cut = await hostile("truncated.tar", tar.subarray(0, 70_000), (f) => ["convert", "--to", "json", f]);
  assert.equal(cut.code, 1);
  assert.match(cut.stderr, /Unexpected end of data/);

  // a zip keeps its directory at the end: cut short, its members are read from their local headers
  const zip = await zipOf(membersOf("samples/lab-proxy", "b/"));
  const z = await hostile("truncated.zip", zip.subarray(0, Math.floor(zip.length * 0.6)), (f) => ["analyze", "--to", "json", f]);
  assert.equal(z.code, 1);
  const m = /zip is truncated: its central directory is missing \(cut short inside member b\/\S+\); (\d+) members read from the local headers before the cut are used \[E_ARCHIVE_DAMAGED\]/.exec(z.stderr);
  assert.ok(m, z.stderr);
  const zr = JSON.parse(z.stdout) as { inputs: { file: string }[] };
  assert.ok(Number(m[1]) > 10 && zr.inputs.some((i) => i.file.startsWith(`${path.join(tmp, "truncated.zip")}!/b/`)), z.stderr);
  // the same bytes read whole from stdin
  const z2 = await runCli(["convert", "--to", "json", "-"], { stdin: zip.subarray(0, Math.floor(zip.length * 0.6)) });
  assert.equal(z2.code, 1);
  assert.match(z2.stderr, /zip is truncated/);
});

test("hostile: a cut zip whose members give their sizes after the data (data descriptor) stops there and says so", async () => {
  const { ZipFile } = await import("yazl");
  const { Readable } = await import("node:stream");
  const zip = new ZipFile();
  zip.addBuffer(readFileSync("samples/lab-proxy/proc/net/tcp"), "b/proc/net/tcp", { mtime: new Date(0) });
  zip.addReadStream(Readable.from([readFileSync("samples/lab-proxy/proc/net/tcp6")]), "b/proc/net/tcp6", { mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  const whole = Buffer.concat(chunks);
  const r = await hostile("descriptor.zip", whole.subarray(0, whole.length - 30), (f) => ["convert", "--to", "json", f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /member b\/proc\/net\/tcp6 gives its size after its data \(data descriptor\): the rest cannot be delimited\); 1 member read/);
  assert.ok((JSON.parse(r.stdout) as { sockets: unknown[] }).sockets.length > 0);
});

test("hostile: wrong magic is not taken for an archive; right magic with garbage is reported as damage", async () => {
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  // nothing read from any of these: exit 2 (convert refuses such a run as analyze does)
  const r = await hostile("not-really.tar.gz", random, (f) => ["convert", "--to", "json", f]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /binary content, not a text capture \[E_BINARY\]/);
  const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), random]);
  const g = await hostile("garbage.tgz", garbage, (f) => ["convert", "--to", "json", f]);
  assert.equal(g.code, 2);
  assert.match(g.stderr, /archive is truncated or corrupt: .* \[E_ARCHIVE_DAMAGED\]/);
  const xz = await hostile("garbage.txz", Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), random]), (f) => ["convert", "--to", "json", f]);
  assert.equal(xz.code, 2);
  assert.match(xz.stderr, /\[E_ARCHIVE_DAMAGED\]/);
  const gz = gzip(Buffer.from("just text\n"));
  const notTar = await hostile("text.gz", gz, (f) => ["convert", "--to", "json", f]);
  assert.match(notTar.stderr, /format not recognised/);
});
