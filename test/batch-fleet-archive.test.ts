/**
 * Fleet archives in `batch`: an archive holding many host bundles (a fleet
 * .tar of host .tar.gz / .tar.xz / .zip and host directories, a .tgz or a
 * .zip of the same) gives one host per bundle, and the tables equal those of
 * the same hosts unpacked, apart from `seconds` and the names of the inputs
 * (`fleet.tar!/fleet/dc1/web0001` instead of `fleet/dc1/web0001`). Every
 * archive is built here from the generated fleet (scripts/gen-fleet.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runCli } from "./_io.js";
import { gzip, membersOf, tarOf, zipOf, type Member } from "./_archives.js";
import { FLEET_COUNTS, hostRows, testFleet, tmpOut, withoutSeconds } from "./_fleet.js";

const fleet = await testFleet();
const work = path.dirname(fleet.dir);
const TABLES = ["hosts.csv", "hosts.ndjson", "flows.csv", "flows.ndjson", "summary.txt"];

// the generated fleet, packed as it lies: fleet/dc1/web0001/..., fleet/dc2/db0002.tar.gz, ...
const members = membersOf(fleet.dir, "fleet/");
const tar = await tarOf(members);
const archives: Record<string, Buffer> = { "fleet.tar": tar, "fleet.tgz": gzip(tar), "fleet.zip": await zipOf(members) };
const packed = path.join(work, "packed");
mkdirSync(packed, { recursive: true });
for (const [name, bytes] of Object.entries(archives)) writeFileSync(path.join(packed, name), bytes);

/** A table of a run over `archive`, its input names turned into those of the unpacked fleet. */
function unpackedNames(out: string, table: string, archive: string): string {
  return withoutSeconds(out, table).split(`${archive}!/fleet`).join(fleet.dir);
}

const baseline = tmpOut("unpacked");
const baselineRun = runCli(["batch", fleet.dir, "--out", baseline, "--jobs", "2", "-q"]);

for (const name of Object.keys(archives)) {
  test(`batch on ${name} (host directories, .tar.gz, .tar.xz, .zip, one cut short) equals batch on the hosts unpacked`, async () => {
    const b = await baselineRun;
    assert.equal(b.code, 1, b.stderr);
    const archive = path.join(packed, name);
    const out = tmpOut(name);
    const r = await runCli(["batch", archive, "--out", out, "--jobs", "2", "-q"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`natlens batch: 14 hosts in .*: ${FLEET_COUNTS}; `));
    const rows = hostRows(out);
    assert.equal(rows.length, fleet.hosts.length, "one host per bundle");
    for (const row of rows) assert.ok(row.input.startsWith(`${archive}!/fleet/dc`), row.input);
    for (const table of TABLES) assert.equal(unpackedNames(out, table, archive), withoutSeconds(baseline, table), `${name}: ${table}`);
  });
}

test("a host of a fleet archive gets what analyze of ARCHIVE!/member gives (a host folder, a host archive)", async () => {
  await baselineRun;
  const archive = path.join(packed, "fleet.tgz");
  const out = tmpOut("tgz-json");
  await runCli(["batch", archive, "--out", out, "--jobs", "2", "-q"]);
  const rows = hostRows(out);
  const picks = [rows.find((r) => !/\.(tar\.gz|tar\.xz|zip)$/.test(r.input) && r.status === "ok"), rows.find((r) => r.input.endsWith(".tar.xz"))];
  for (const row of picks) {
    assert.ok(row);
    const a = await runCli(["analyze", row.input, "--format", "json"]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(readFileSync(path.join(out, "hosts", row.host_id, "analysis.json"), "utf8"), a.stdout, row.input);
  }
});

test("a fleet archive inside a directory, and hosts spread over their archive, give the same tables", async () => {
  await baselineRun;
  // every file member sorted by its own name: the hosts' members interleave, so none can be cut out of one pass
  const files = members.filter((m) => (m.type ?? "file") === "file");
  const base = (m: Member) => m.name.slice(m.name.lastIndexOf("/") + 1);
  const spread = [...files].sort((a, b) => (base(a) < base(b) ? -1 : base(a) > base(b) ? 1 : a.name < b.name ? -1 : 1));
  const dir = path.join(work, "spread");
  mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, "fleet.tar");
  writeFileSync(archive, await tarOf(spread));
  const out = tmpOut("spread");
  const r = await runCli(["batch", dir, "--out", out, "--jobs", "2"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /fleet\.tar: \d+ hosts whose members are spread over the archive, each read in a pass of its own/);
  for (const table of TABLES) assert.equal(unpackedNames(out, table, archive), withoutSeconds(baseline, table), `spread: ${table}`);
});

test("a fleet archive cut short: the hosts before the cut are analysed, the rest is a failed host named after the archive", async () => {
  const archive = path.join(packed, "cut.tar");
  writeFileSync(archive, tar.subarray(0, Math.floor(tar.length * 0.6)));
  const out = tmpOut("cut");
  const r = await runCli(["batch", archive, "--out", out, "--jobs", "2", "-q"]);
  assert.equal(r.code, 1, r.stderr);
  const rows = hostRows(out);
  const rest = rows.find((row) => row.input === archive);
  assert.ok(rest, "the archive itself is a row");
  assert.equal(rest.host_id, "cut");
  assert.equal(rest.status, "failed");
  assert.match(rest.error ?? "", /archive is truncated or corrupt after \d+ members: .*; host bundles after that point are not found/);
  assert.ok(rows.length >= 3 && rows.length < fleet.hosts.length + 1, `${rows.length} rows`);
  assert.ok(rows.filter((row) => row.status === "ok").length >= 1);
});

test("analyze refuses a fleet archive as it refuses a directory of hosts; --merge-hosts reads it as one host; one member is one host", async () => {
  const archive = path.join(packed, "fleet.zip");
  const r = await runCli(["analyze", archive, "--format", "json"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /fleet\.zip: 14 host bundles found in the archive \(.*fleet\.zip!\/fleet\/dc1\/.*, \.\.\.\): use `natlens batch`/);
  assert.match(r.stderr, /hint: natlens batch .*fleet\.zip --out DIR analyses each host on its own/);
  const merged = await runCli(["analyze", archive, "--format", "json", "--merge-hosts", "-q"]);
  assert.equal(merged.code, 1, "some hosts in it are broken");
  const report = JSON.parse(merged.stdout) as { inputs: { file: string }[] };
  assert.ok(new Set(report.inputs.map((i) => (i.file.split("!/")[1] ?? "").split("/").slice(0, 3).join("/"))).size > 2, "inputs of several hosts");
  const one = await runCli(["analyze", `${archive}!/fleet/dc1/web0001`, "--format", "json", "-q"]);
  assert.equal(one.code, 0, one.stderr);
});
