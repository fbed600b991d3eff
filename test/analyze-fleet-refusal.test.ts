/**
 * `analyze DIR` where DIR holds a fleet archive (several host bundles inside
 * one archive), and `analyze FLEET.zip`: refused with batch's pointer from the
 * archive's listing, before any member is read. The archives are generated
 * here from real samples: a plain .tar (and a .zip) holding two host .tar.gz.
 * What shows that no member was read is a count of the gunzip streams natlens
 * opens (zlib's createGunzip, counted through node:test's mock): the outer
 * archives are not gzipped, so every gunzip is a host archive being opened.
 * A .tar.gz of the same hosts (named, or in a directory) is refused from the
 * one pass that lists it: one gunzip, its own.
 */
import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { runCli } from "./_io.js";
import { gzip, membersOf, tarOf, zipOf } from "./_archives.js";

const work = mkdtempSync(path.join(tmpdir(), "natlens-fleet-refusal-"));
const hosts = {
  "fleet/web01.tar.gz": gzip(await tarOf(membersOf("samples/lab-proxy", "web01/"))),
  "fleet/web02.tar.gz": gzip(await tarOf(membersOf("samples/lab28-proxy", "web02/"))),
};
const members = Object.entries(hosts).map(([name, data]) => ({ name, data }));
const dir = path.join(work, "dir");
mkdirSync(dir);
const tar = path.join(dir, "fleet.tar");
writeFileSync(tar, await tarOf(members));
const zip = path.join(work, "fleet.zip");
writeFileSync(zip, await zipOf(members));
const one = path.join(work, "one");
mkdirSync(one);
writeFileSync(path.join(one, "web01.tar.gz"), hosts["fleet/web01.tar.gz"]);
const gzDir = path.join(work, "gzdir");
mkdirSync(gzDir);
const tgz = path.join(gzDir, "fleet.tar.gz");
writeFileSync(tgz, gzip(await tarOf(members)));
/** One host archive inside a .tar.gz beside a note: one host, accepted. */
const wrapped = path.join(work, "wrapped.tar.gz");
writeFileSync(wrapped, gzip(await tarOf([{ name: "NOTE.txt", data: Buffer.from("sent by the customer\n") }, members[0]!])));

/** Runs natlens, counting the gunzip streams it opens. */
async function counted(argv: string[]) {
  let gunzips = 0;
  const real = zlib.createGunzip;
  const spy = mock.method(zlib, "createGunzip", (...args: Parameters<typeof zlib.createGunzip>) => {
    gunzips++;
    return real(...args);
  });
  // decode.ts imports createGunzip by name: the ES module binding follows the mocked function
  syncBuiltinESMExports();
  try {
    const r = await runCli(argv);
    return { ...r, gunzips };
  } finally {
    spy.mock.restore();
    syncBuiltinESMExports();
  }
}

const refusal = (archive: string) =>
  new RegExp(
    `${archive.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: 2 host bundles found in the archive \\(.*fleet\\.(tar|zip|tar\\.gz)!/fleet/web01\\.tar\\.gz, .*!/fleet/web02\\.tar\\.gz\\): use \`natlens batch\`\\n {4}hint: natlens batch .*fleet\\.(tar|zip|tar\\.gz) --out DIR analyses each host on its own`,
  );

test("the counter sees host archives being opened: --merge-hosts reads both", async () => {
  const r = await counted(["analyze", dir, "--to", "json", "--merge-hosts", "-q"]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.ok(r.gunzips >= 2, `${r.gunzips} gunzip streams`);
});

for (const [what, input, archive] of [
  ["analyze DIR holding a fleet archive is refused from the archive's listing", dir, tar],
  ["analyze FLEET.zip is refused from its central directory", zip, zip],
] as const) {
  test(`${what}, before any host archive in it is opened`, async () => {
    const r = await counted(["analyze", input, "--to", "json"]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, refusal(archive));
    assert.equal(r.gunzips, 0, "a host archive was opened before the refusal");
  });
}

test("analyze FLEET.tar named directly gives the same refusal, from the pass that reads it (a tar has no index): no host archive opened", async () => {
  const r = await counted(["analyze", tar, "--to", "json"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, refusal(tar));
  assert.equal(r.gunzips, 0, "a host archive was opened before the refusal");
});

for (const [what, input] of [
  ["analyze FLEET.tar.gz named directly", tgz],
  ["analyze DIR holding a fleet .tar.gz", gzDir],
] as const) {
  test(`${what} is refused from the one pass that lists it: one gunzip (its own), no host archive in it opened`, async () => {
    const r = await counted(["analyze", input, "--to", "json"]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, refusal(tgz));
    assert.equal(r.gunzips, 1, `${r.gunzips} gunzip streams: the fleet's hosts were opened, or the fleet was decompressed twice`);
    // what the refusal saved: reading it as --merge-hosts does opens both hosts too
    const merged = await counted(["analyze", input, "--to", "json", "--merge-hosts", "-q"]);
    assert.equal(merged.gunzips, 3, `${merged.gunzips} gunzip streams with --merge-hosts`);
  });
}

test("an accepted .tar.gz holding one host archive: each stream gunzipped once, the report byte for byte the one read without holding", async () => {
  const r = await counted(["analyze", wrapped, "--to", "json", "-q"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.gunzips, 2, `${r.gunzips} gunzip streams (the archive and the host archive in it, once each)`);
  // --merge-hosts reads every archive straight, with nothing held
  const straight = await counted(["analyze", wrapped, "--to", "json", "-q", "--merge-hosts"]);
  assert.equal(straight.gunzips, 2);
  assert.equal(r.stdout, straight.stdout);
  assert.equal((JSON.parse(r.stdout) as { host: { name: string } }).host.name, "natlens-lab");
});

test("a directory holding one compressed host archive is analysed, decompressing it no more often than naming it does", async () => {
  const r = await counted(["analyze", one, "--to", "json", "-q"]);
  assert.equal(r.code, 0, r.stderr);
  // listing a .tar.gz first would gunzip it once more than reading it does
  const named = await counted(["analyze", path.join(one, "web01.tar.gz"), "--to", "json", "-q"]);
  assert.equal(r.gunzips, named.gunzips, `${r.gunzips} gunzip streams from the directory, ${named.gunzips} from the archive named`);
  const report = JSON.parse(r.stdout) as { host: { name: string }; flows: unknown[] };
  assert.equal(report.host.name, "natlens-lab");
  assert.ok(report.flows.length > 5);
});
