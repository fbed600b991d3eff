/** `natlens batch` on a generated fleet with broken hosts: tables, summary, per-host reports, exit status. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { runCli } from "./_io.js";
import { FLEET_ARCHIVES, FLEET_COUNTS, hostRows, testFleet, tmpOut } from "./_fleet.js";
import { FLEET_FLOW_COLUMNS, HOST_COLUMNS } from "../src/batch/host-row.js";
import { renderSummary } from "../src/batch/summary.js";
import { FLOW_CSV_COLUMNS } from "../src/api.js";

const fleet = await testFleet();
const out = tmpOut("out");
const run = runCli(["batch", fleet.dir, "--out", out, "--jobs", "2", "--format-per-host", "json,csv"]);

test("batch writes every table and the summary, and exits 1 when some hosts are broken", async () => {
  const r = await run;
  assert.equal(r.code, 1, r.stderr);
  for (const f of ["flows.csv", "flows.ndjson", "hosts.csv", "hosts.ndjson", "summary.txt", "batch.json"]) assert.ok(existsSync(path.join(out, f)), f);
  assert.equal(r.stdout, readFileSync(path.join(out, "summary.txt"), "utf8"), "the summary is printed");
  assert.match(r.stderr, new RegExp(`^natlens batch: 14 hosts in [0-9.]+ s \\([0-9.]+ hosts/s\\): ${FLEET_COUNTS}; tables in `, "m"));
  assert.ok(!r.stderr.includes("\r"), "no progress line when stderr is not a TTY");
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith(".natlens-tmp")), [], "no temporary file is left");
});

test("one row per host input, ids unique with -2 for a repeated name, hostname in its own column", async () => {
  await run;
  const rows = hostRows(out);
  assert.equal(rows.length, fleet.hosts.length);
  assert.equal(new Set(rows.map((r) => r.host_id)).size, rows.length);
  assert.deepEqual(rows.map((r) => r.host_id), [...rows.map((r) => r.host_id)].sort(), "sorted by host_id");
  if (FLEET_ARCHIVES) {
    for (const form of ["directory", "tar.gz", "tar.xz", "zip"]) assert.ok(fleet.hosts.some((h) => h.form === form), `the fleet has a ${form} host`);
    assert.ok(rows.some((r) => r.host_id.startsWith("sosreport-") && r.input.endsWith(".tar.xz") && !r.host_id.includes(".tar")), "archive extensions are not part of the id");
  }
  const twin = rows.find((r) => r.host_id.endsWith("-2"));
  assert.ok(twin, "the repeated name got -2");
  const first = rows.find((r) => r.host_id === twin.host_id.slice(0, -2))!;
  assert.notEqual(first.input, twin.input);
  assert.notEqual(first.hostname, twin.hostname, "the bundles' own names tell them apart");
  for (const h of fleet.hosts) {
    const row = rows.find((r) => r.input === h.path)!;
    assert.ok(row, h.path);
    if (h.broken === "failed") {
      assert.equal(row.status, "failed");
      assert.match(row.error ?? "", /none of the inputs is a capture natlens reads/);
      assert.equal(row.flows, null);
    } else {
      // an archive cut short may lose its hostname file with the rest after the damage
      if (h.broken !== "truncated") assert.equal(row.hostname, h.hostname);
      assert.equal(row.status, h.broken ? "partial" : "ok", `${row.host_id}: ${row.error}`);
      if (h.broken === "partial") assert.match(row.error ?? "", /proc\/net\/tcp:\d+: .*\[E_PROC_NET_ROW\]/);
      if (h.broken === "truncated") assert.match(row.error ?? "", /archive is truncated or corrupt.*\[E_ARCHIVE_DAMAGED\]/);
    }
  }
  const csv = Papa.parse<string[]>(readFileSync(path.join(out, "hosts.csv"), "utf8"), { skipEmptyLines: true }).data;
  assert.deepEqual(csv[0], HOST_COLUMNS.map((c) => c.name));
  assert.equal(csv.length, rows.length + 1);
});

test("every host's analysis.json (and analysis.csv) is what analyze writes for it", async () => {
  await run;
  for (const row of hostRows(out)) {
    const dir = path.join(out, "hosts", row.host_id);
    if (row.status === "failed") {
      assert.ok(!existsSync(path.join(dir, "analysis.json")), `${row.host_id}: no report for a failed host`);
      continue;
    }
    const want = tmpOut("analysis.json");
    const a = await runCli(["analyze", row.input, "--format", "json", "-o", want, "-q"]);
    assert.equal(a.code, row.status === "partial" ? 1 : 0);
    assert.ok(readFileSync(path.join(dir, "analysis.json")).equals(readFileSync(want)), `${row.host_id}: analysis.json differs`);
    const c = await runCli(["analyze", row.input, "--format", "csv", "-q"]);
    assert.equal(readFileSync(path.join(dir, "analysis.csv"), "utf8"), c.stdout, `${row.host_id}: analysis.csv differs`);
  }
});

test("the fleet flows tables hold every host's flows, host_id and hostname first", async () => {
  await run;
  const rows = hostRows(out);
  const csv = Papa.parse<string[]>(readFileSync(path.join(out, "flows.csv"), "utf8"), { skipEmptyLines: true }).data;
  assert.deepEqual(csv[0], ["host_id", "hostname", ...FLOW_CSV_COLUMNS.map((c) => c.name)]);
  assert.deepEqual(csv[0], FLEET_FLOW_COLUMNS.map((c) => c.name));
  const nd = readFileSync(path.join(out, "flows.ndjson"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(csv.length - 1, nd.length);
  for (const row of rows) {
    const mine = nd.filter((f) => f.host_id === row.host_id);
    assert.equal(mine.length, row.flows ?? 0, row.host_id);
    if (row.status === "failed") continue;
    const report = JSON.parse(readFileSync(path.join(out, "hosts", row.host_id, "analysis.json"), "utf8")) as { flows: { path: string; explanation: string }[] };
    assert.deepEqual(mine.map((f) => f.path), report.flows.map((f) => f.path));
    assert.deepEqual(mine.map((f) => f.explanation), report.flows.map((f) => f.explanation));
    assert.ok(mine.every((f) => f.hostname === row.hostname));
    assert.equal(mine.filter((f) => f.path === "docker-proxy").length, row.flows_docker_proxy);
  }
  // one CSV row per NDJSON line, same cells
  for (let i = 0; i < nd.length; i++) {
    assert.equal(csv[i + 1]![0], nd[i]!.host_id);
    assert.equal(csv[i + 1]![csv[0]!.indexOf("published_port")], nd[i]!.published_port === null ? "" : String(nd[i]!.published_port));
  }
});

test("the summary's counts add up to the tables", async () => {
  await run;
  const rows = hostRows(out);
  const summary = readFileSync(path.join(out, "summary.txt"), "utf8");
  const flows = readFileSync(path.join(out, "flows.ndjson"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { path: string; host_id: string });
  const head = /^natlens fleet summary: (\d+) hosts \((\d+) ok, (\d+) partial, (\d+) failed\), (\d+) flows$/m.exec(summary);
  assert.ok(head, summary);
  const [, hosts, ok, partial, failed, nflows] = head.map(Number);
  assert.equal(hosts, rows.length);
  assert.equal(ok! + partial! + failed!, hosts);
  assert.equal(ok, rows.filter((r) => r.status === "ok").length);
  assert.equal(failed, rows.filter((r) => r.status === "failed").length);
  assert.equal(nflows, flows.length);
  const byPath = /^flows by path over the fleet: (.*)$/m.exec(summary)!;
  let sum = 0;
  for (const part of byPath[1]!.split(", ")) {
    const [p, n] = part.split(" ");
    assert.equal(Number(n), flows.filter((f) => f.path === p).length, `path ${p}`);
    sum += Number(n);
  }
  assert.equal(sum, flows.length);
  // each ranked line: its host count and flow count come from the tables
  const gw = /^ {2}(\d+) hosts, (\d+) flows: containers see the bridge gateway/m.exec(summary)!;
  assert.equal(Number(gw[1]), rows.filter((r) => (r.flows_sees_gateway ?? 0) > 0).length);
  assert.equal(Number(gw[2]), rows.reduce((s, r) => s + (r.flows_sees_gateway ?? 0), 0));
  const up = /^ {2}(\d+) hosts: userland-proxy is on/m.exec(summary)!;
  assert.equal(Number(up[1]), rows.filter((r) => r.userland_proxy === "on").length);
  const ranked = [...summary.matchAll(/^ {2}(\d+) hosts?\b/gm)].map((m) => Number(m[1]));
  assert.deepEqual(ranked, [...ranked].sort((a, b) => b - a), "findings ranked by hosts touched");
  // the broken hosts, under their reason: the generator's broken ones, with the reason each kind gives
  const reasons = { failed: "none of the inputs is a capture natlens reads", partial: "[E_PROC_NET_ROW]", truncated: "[E_ARCHIVE_DAMAGED]" } as const;
  for (const h of fleet.hosts.filter((x) => x.broken)) {
    const r = rows.find((x) => x.input === h.path)!;
    const section = summary.slice(summary.indexOf(`\n${r.status} hosts: `));
    const group = section.slice(section.indexOf(`\n  1 host: ${reasons[h.broken!]}\n`));
    assert.ok(group.startsWith(`\n  1 host: ${reasons[h.broken!]}\n    ${r.host_id} (${r.input})${h.broken === "failed" ? "" : `: ${r.error}`}\n`), `${r.host_id} under its reason:\n${summary}`);
  }
});

test("at fleet size the summary counts failed and partial hosts by reason and names the first 20 of each; hosts.csv names them all", async () => {
  await run;
  // the test fleet's rows 72 times over (1,008 hosts), ids made unique, in table order
  const rows = hostRows(out);
  const copies = 72;
  const big = Array.from({ length: copies }, (_, k) => rows.map((r) => ({ ...r, host_id: `${r.host_id}-${String(k).padStart(2, "0")}` })))
    .flat()
    .sort((a, b) => (a.host_id < b.host_id ? -1 : 1));
  const text = renderSummary(big);
  const of = (kind: string) => fleet.hosts.filter((h) => h.broken === kind).length * copies;
  const expected: Record<"failed" | "partial", [string, number][]> = {
    failed: [["none of the inputs is a capture natlens reads", of("failed")]],
    // most hosts first, then by reason
    partial: [["[E_PROC_NET_ROW]", of("partial")], ["[E_ARCHIVE_DAMAGED]", of("truncated")]].sort((a, b) => Number(b[1]) - Number(a[1]) || (a[0]! < b[0]! ? -1 : 1)) as [string, number][],
  };
  for (const status of ["failed", "partial"] as const) {
    const lines = text.slice(text.indexOf(`\n${status} hosts: `) + 1).split("\n");
    const total = big.filter((r) => r.status === status).length;
    assert.equal(lines[0], `${status} hosts: ${total}, by reason (every one with its error in hosts.csv)`);
    let at = 1;
    for (const [reason, n] of expected[status]) {
      assert.equal(lines[at], `  ${n} hosts: ${reason}`, text);
      const listed = lines.slice(at + 1, at + 21);
      const mine = big.filter((r) => r.status === status && (r.error === reason || r.error!.endsWith(` ${reason}`)));
      assert.deepEqual(listed, mine.slice(0, 20).map((r) => `    ${r.host_id} (${r.input})${r.error === reason ? "" : `: ${r.error}`}`));
      assert.equal(lines[at + 21], `    ... and ${n - 20} more (see hosts.csv)`);
      at += 22;
    }
    assert.equal(lines[at], "", `nothing else in the ${status} section`);
  }
  assert.ok(text.split("\n").length < 100, `${text.split("\n").length} lines for ${big.length} hosts`);
});

test("the hosts table's flow columns add up per host", async () => {
  await run;
  for (const r of hostRows(out)) {
    if (r.status === "failed") continue;
    assert.equal(r.flows_dnat! + r.flows_docker_proxy! + r.flows_direct! + r.flows_unknown! + r.flows_forwarder!, r.flows, r.host_id);
    assert.ok(r.flows_sees_gateway! <= r.flows!);
  }
});

test("usage errors exit 2 before any work", async () => {
  const dir = fleet.dir;
  for (const argv of [
    ["batch", "no/such/dir", "--out", tmpOut("x")],
    ["batch", dir, "--out", tmpOut("x"), "--shard", "9/8"],
    ["batch", dir, "--out", tmpOut("x"), "--format-per-host", "xml"],
    ["batch", dir, "--out", tmpOut("x"), "--jobs", "0"],
    ["batch", dir, "--out", tmpOut("x"), "--jobs", "abc"],
    ["batch", dir],
  ]) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^natlens: error: /m);
  }
  // the value as the user wrote it, and the formats the option offers
  const jobs = await runCli(["batch", dir, "--out", tmpOut("x"), "--jobs", "abc"]);
  assert.match(jobs.stderr, /^natlens: error: --jobs "abc" is not a positive whole number$/m);
  const fmt = await runCli(["batch", dir, "--out", tmpOut("x"), "--format-per-host", "xml"]);
  assert.match(fmt.stderr, /^natlens: error: --format-per-host "xml" is not one of text, csv \(analysis\.json and report\.html are always written\)$/m);
});

test("on a TTY a live progress line, with -q none; the one-line result either way", async () => {
  const one = fleet.hosts.slice(0, 2).map((h) => h.path);
  const tty = await runCli(["batch", ...one, "--out", tmpOut("tty"), "-j", "1"], { tty: true });
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stderr, /\r\u001b\[2Kbatch: 0\/2 hosts {2}0\.0 hosts\/s {2}ETA --:-- {2}0 failed/);
  assert.match(tty.stderr, /\r\u001b\[2Knatlens batch: 2 hosts in /, "the line is erased before the result");
  assert.match(tty.stdout, /\S/, "the summary is printed");
  const quiet = await runCli(["batch", ...one, "--out", tmpOut("q"), "-j", "1", "-q"], { tty: true });
  assert.ok(!quiet.stderr.includes("\r"), quiet.stderr);
  assert.match(quiet.stderr, /^natlens batch: 2 hosts in .*: 2 ok, 0 partial, 0 failed; tables in /);
  assert.equal(quiet.stdout, "", "-q: the summary is only in DIR/summary.txt");
});

test("--fail-fast stops at the first failure and says so", async () => {
  const broken = fleet.hosts.find((h) => h.broken === "failed")!;
  const others = fleet.hosts.filter((h) => !h.broken).slice(0, 3);
  const r = await runCli(["batch", broken.path, ...others.map((h) => h.path), "--out", tmpOut("ff"), "-j", "1", "--fail-fast"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /stopped at the first failure \(\S+: none of the inputs is a capture natlens reads\), [1-3] hosts? not analysed/);
});
