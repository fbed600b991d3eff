/**
 * A SUSE supportconfig as supportconfig writes it: samples/lab-proxy-scc's
 * `scc_natlens-lab/` folder packed as its `.txz`, with supportconfig's other
 * files beside the ones natlens reads (stand-ins with their real names, marked
 * as such in their content). It analyses like the sample directory, reads only
 * the files the layout names, and says so in one skip line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";
import { archiveOf, membersOf, type Member } from "./_archives.js";
import { folderEntries, holdsHostLayout, holdsSupportconfig } from "../src/input/archive/listing.js";

const TOP = "scc_natlens-lab";
const tmp = mkdtempSync(path.join(tmpdir(), "natlens-scc-test-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** Files supportconfig writes that natlens never reads (handwritten stand-ins). */
const OTHER_FILES = ["hardware.txt", "messages.txt", "rpm.txt", "pam.txt", "y2log.txt", "summary.xml", "supportconfig.txt", "network-ns1.txt"];

function sccMembers(): Member[] {
  const members = membersOf(`samples/lab-proxy-scc/${TOP}`, `${TOP}/`);
  for (const f of OTHER_FILES) {
    // a real-looking entry whose content natlens would read if it opened the file: it must not
    members.push({ name: `${TOP}/${f}`, data: Buffer.from("#==[ Command ]======================================#\n# /sbin/ip route\nhandwritten stand-in: not a route\n") });
  }
  return members;
}

type Report = { diagnostics: { severity: string; code: string; message: string; file: string }[]; inputs: { file: string }[] } & Record<string, unknown>;

test("supportconfig .txz: analyses like the sample folder; only its network, process, kernel and engine files are read", async () => {
  const file = path.join(tmp, `${TOP}.txz`);
  writeFileSync(file, await archiveOf("tar.xz", sccMembers()));
  const r = await runCli(["analyze", "--to", "json", file]);
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(report.diagnostics.filter((d) => d.severity === "error"), []);
  assert.deepEqual(
    report.diagnostics.filter((d) => d.code === "I_LAYOUT_SKIPPED").map((d) => d.message),
    [`${OTHER_FILES.length} files outside the networking/process/container paths skipped (supportconfig layout)`],
  );
  const members = report.inputs.filter((i) => i.file !== file);
  assert.deepEqual(members.map((i) => i.file.slice(`${file}!/${TOP}/`.length)).sort(), ["basic-environment.txt", "basic-health-check.txt", "docker.txt", "env.txt", "network.txt", "proc.txt"]);

  const ref = JSON.parse((await runCli(["analyze", "--to", "json", `samples/lab-proxy-scc/${TOP}`])).stdout) as Report;
  const got = JSON.parse(r.stdout.split(`${file}!/${TOP}/`).join(`samples/lab-proxy-scc/${TOP}/`)) as Report;
  for (const key of ["host", "containers", "published", "flows", "findings", "counts"]) assert.deepEqual(got[key], ref[key], key);
});

test("supportconfig folder given itself (no scc_ wrapper in the paths): the same layout rules", async () => {
  const dir = path.join(tmp, "unpacked");
  for (const m of sccMembers()) {
    if (m.data === undefined) continue; // a directory member
    mkdirSync(path.dirname(path.join(dir, m.name)), { recursive: true });
    writeFileSync(path.join(dir, m.name), m.data!);
  }
  const r = await runCli(["analyze", "--to", "json", path.join(dir, TOP)]);
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(report.diagnostics.filter((d) => d.severity === "error"), []);
  assert.deepEqual(
    report.diagnostics.filter((d) => d.code === "I_LAYOUT_SKIPPED").map((d) => d.message),
    [`${OTHER_FILES.length} files outside the networking/process/container paths skipped (supportconfig layout)`],
  );
});

test("batch: a folder of supportconfig folders is one host per folder, each read with the supportconfig layout", async () => {
  const fleet = path.join(tmp, "scc-fleet");
  for (const host of ["scc_web01_261207_1015", "scc_web02_261207_1016"]) {
    for (const m of sccMembers()) {
      if (m.data === undefined) continue;
      const p = path.join(fleet, host, m.name.slice(`${TOP}/`.length));
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, m.data);
    }
  }
  const out = path.join(tmp, "scc-fleet-out");
  const r = await runCli(["batch", fleet, "--out", out, "--jobs", "1", "-q"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(path.join(out, "hosts.ndjson"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { host_id: string; status: string; flows: number });
  assert.deepEqual(rows.map((x) => [x.host_id, x.status]).sort(), [["scc_web01_261207_1015", "ok"], ["scc_web02_261207_1016", "ok"]]);
  const single = JSON.parse((await runCli(["analyze", "--to", "json", `samples/lab-proxy-scc/${TOP}`])).stdout) as { flows: unknown[] };
  for (const x of rows) assert.equal(x.flows, single.flows.length, x.host_id);
});

test("holdsSupportconfig: the sample's entries are a supportconfig, for analyze's layout and batch discovery alike; near misses are not", () => {
  const sample = folderEntries(readdirSync(`samples/lab-proxy-scc/${TOP}`, { withFileTypes: true }));
  assert.deepEqual([...sample.keys()].sort(), ["basic-environment.txt", "basic-health-check.txt", "docker.txt", "env.txt", "network.txt", "proc.txt"]);
  assert.equal(holdsSupportconfig(sample), true);
  assert.equal(holdsHostLayout(sample, () => false), true);
  const variant = (change: (m: Map<string, "file" | "folder">) => void) => {
    const m = new Map(sample);
    change(m);
    return m;
  };
  // supportconfig's own log beside the environment file also marks one (a capture whose network.txt was left out)
  assert.equal(holdsSupportconfig(variant((m) => { m.delete("network.txt"); m.set("supportconfig.txt", "file"); })), true);
  // near misses: the same files without the environment file, the environment file alone, entries of the right name that are folders
  for (const [why, entries] of [
    ["no basic-environment.txt", variant((m) => m.delete("basic-environment.txt"))],
    ["basic-environment.txt without network.txt or supportconfig.txt", new Map([["basic-environment.txt", "file"], ["env.txt", "file"], ["proc.txt", "file"]] as const)],
    ["network.txt is a folder", variant((m) => m.set("network.txt", "folder"))],
    ["basic-environment.txt is a folder", variant((m) => m.set("basic-environment.txt", "folder"))],
  ] as const) {
    assert.equal(holdsSupportconfig(entries), false, why);
    assert.equal(holdsHostLayout(entries, () => false), false, why);
  }
});
