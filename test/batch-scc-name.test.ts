/**
 * A supportconfig folder known only by its name (`scc_*`: what was kept of a
 * supportconfig, without its basic-environment.txt) is one host for `batch`
 * as it is for `analyze`, in a directory tree and in an archive of several
 * hosts: both commands ask isHostFolder (src/input/hosts.ts). The fleet is
 * built here from two samples: samples/lab-proxy (a collector bundle) and
 * samples/lab-proxy-scc's supportconfig folder, renamed as supportconfig
 * names one and trimmed of its environment file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";
import { membersOf, tarOf, zipOf } from "./_archives.js";
import { folderEntries, holdsHostLayout } from "../src/input/archive/listing.js";
import { hostsOfListing, isHostFolder } from "../src/input/hosts.js";

const tmp = mkdtempSync(path.join(tmpdir(), "natlens-scc-name-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const SCC = "scc_web03_261207_1015";
const fleet = path.join(tmp, "fleet");
cpSync("samples/lab-proxy", path.join(fleet, "dc1", "web01"), { recursive: true });
const sccDir = path.join(fleet, "dc2", SCC);
cpSync("samples/lab-proxy-scc/scc_natlens-lab", sccDir, { recursive: true });
rmSync(path.join(sccDir, "basic-environment.txt"));

interface Row {
  host_id: string;
  input: string;
  status: string;
  flows: number;
  containers: number;
}
/** The host rows of a batch output, by host id. */
const rowsOf = (out: string): Row[] =>
  readFileSync(path.join(out, "hosts.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row)
    .sort((a, b) => (a.host_id < b.host_id ? -1 : 1));

test("the trimmed supportconfig folder holds no layout by its entries: only its name makes it a host", () => {
  const entries = folderEntries(readdirSync(sccDir, { withFileTypes: true }));
  assert.equal(holdsHostLayout(entries, () => false), false);
  assert.equal(isHostFolder(SCC, entries, () => false), true);
  assert.equal(isHostFolder("web03", entries, () => false), false);
});

const dirOut = path.join(tmp, "out-dir");
const dirRun = runCli(["batch", fleet, "--out", dirOut, "--jobs", "1"]);

test("a directory of hosts: batch takes the scc_* folder for a host, analyzes it as analyze does, and analyze counts it among the hosts", async () => {
  const r = await dirRun;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /outside any host bundle/);
  const rows = rowsOf(dirOut);
  assert.deepEqual(
    rows.map((x) => [x.host_id, x.input, x.status]),
    [
      [SCC, sccDir, "ok"],
      ["web01", path.join(fleet, "dc1", "web01"), "ok"],
    ],
  );
  const a = await runCli(["analyze", sccDir, "--format", "json"]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(readFileSync(path.join(dirOut, "hosts", SCC, "analysis.json"), "utf8"), a.stdout);
  // read with the supportconfig layout: the same flows as the whole sample
  const sample = JSON.parse((await runCli(["analyze", "--format", "json", "samples/lab-proxy-scc/scc_natlens-lab"])).stdout) as { flows: unknown[] };
  assert.ok(sample.flows.length > 0);
  assert.equal(rows[0]!.flows, sample.flows.length);

  const whole = await runCli(["analyze", fleet, "--format", "json"]);
  assert.equal(whole.code, 2, "two hosts, not one");
  assert.equal(whole.stdout, "");
  assert.match(whole.stderr, new RegExp(`2 host bundles found \\(.*dc1/web01, .*dc2/${SCC}\\): use \`natlens batch\``));
});

for (const name of ["fleet.tar", "fleet.zip"]) {
  test(`an archive of hosts (${name}): the scc_* folder is a host of its own, as in the directory`, async () => {
    const members = membersOf(fleet, "fleet/");
    const archive = path.join(tmp, name);
    writeFileSync(archive, name.endsWith(".zip") ? await zipOf(members) : await tarOf(members));
    const out = path.join(tmp, `out-${name}`);
    const r = await runCli(["batch", archive, "--out", out, "--jobs", "1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /outside any host bundle/);
    const rows = rowsOf(out);
    assert.deepEqual(
      rows.map((x) => [x.host_id, x.input, x.status]),
      [
        [SCC, `${archive}!/fleet/dc2/${SCC}`, "ok"],
        ["web01", `${archive}!/fleet/dc1/web01`, "ok"],
      ],
    );
    // the same hosts as the directory gives
    await dirRun;
    assert.deepEqual(
      rows.map((x) => [x.host_id, x.flows, x.containers]),
      rowsOf(dirOut).map((x) => [x.host_id, x.flows, x.containers]),
    );
    const a = await runCli(["analyze", `${archive}!/fleet/dc2/${SCC}`, "--format", "json"]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(readFileSync(path.join(out, "hosts", SCC, "analysis.json"), "utf8"), a.stdout);

    const whole = await runCli(["analyze", archive, "--format", "json"]);
    assert.equal(whole.code, 2, "two hosts, not one");
    assert.match(whole.stderr, new RegExp(`${name.replace(".", "\\.")}: 2 host bundles found in the archive \\(.*!/fleet/dc1/web01, .*!/fleet/dc2/${SCC}\\): use \`natlens batch\``));
  });
}

test("hostsOfListing: an scc_* folder is one host with what lies below it, in the walk's order; deeper than the search it is not looked for", () => {
  const deep = "a/b/c/d/e/f/g/h/scc_deep";
  const listing = {
    paths: ["z.txt", "dc/scc_b/network.txt", "dc/scc_b/kept/h.tar.gz", "dc/a/hostname", "dc/a/proc/net/tcp", "dc/c.tar.gz", `${deep}/network.txt`, "dc/scc_d.txt"],
    archives: new Set(["dc/scc_b/kept/h.tar.gz", "dc/c.tar.gz"]),
    manifests: new Set<string>(),
  };
  assert.deepEqual(hostsOfListing(listing), {
    hosts: [
      { path: "dc/a", kind: "folder" },
      { path: "dc/c.tar.gz", kind: "archive" },
      { path: "dc/scc_b", kind: "folder" },
    ],
    // the search stops eight folders down: what lies deeper is neither a host nor a loose member
    loose: ["dc/scc_d.txt", "z.txt"],
  });
  // the same folder as a directory: the same host
  const dir = path.join(tmp, "listing", "dc", "scc_b");
  mkdirSync(dir, { recursive: true });
  assert.equal(isHostFolder("scc_b", folderEntries(readdirSync(dir, { withFileTypes: true })), () => false), true);
});
