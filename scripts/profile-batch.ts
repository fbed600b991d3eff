/**
 * Where a `batch` run's time goes, host by host (issue 13): runs the phases of
 * one host's job (src/batch/host-job.ts) one after the other in this thread,
 * on a sample of the benchmark fleet (bench-out/batch-fleet, made by
 * bench-batch.js), per form of host bundle, and prints the CPU time of each
 * phase per host (CPU time, not wall: steadier on a shared machine; it counts
 * GC and zlib's threads, not an `xz` child's):
 *
 * - read: the host's inputs to sources (expandInputs) and every source's bytes
 *   read once (for an archive: decompression and the tar/zip walk);
 * - analyze: analyzeHost on those sources;
 * - json, html: the per-host reports `batch` always writes, into a sink that keeps nothing;
 * - fragments: the host's fleet-flows rows (CSV and NDJSON);
 * - files: the same bytes written to files (temp + rename), as the job does.
 *
 * It also times the fleet tables of an earlier `bench-batch` output
 * (bench-out/batch-out-1000), the main thread's last step.
 *
 *   node dist/scripts/profile-batch.js [HOSTS_PER_FORM=20]
 *
 * Numbers are for finding hot spots; judge speed with bench-batch.js.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expandInputs } from "../src/input/read.js";
import { analyzeHost } from "../src/api.js";
import { writeHostReport, type Report } from "../src/batch/analyze-host.js";
import { CsvRowWriter } from "../src/output/csv.js";
import { FLEET_FLOW_COLUMNS, fleetFlowObject, type FleetFlow, type HostRow } from "../src/batch/host-row.js";
import { atomicFile } from "../src/batch/files.js";
import { sortRows, writeFleetTables } from "../src/batch/tables.js";
import type { GeneratedHost } from "./gen-fleet.js";

const PER_FORM = Number(process.argv[2] ?? 20);
const FLEET = path.resolve("bench-out", "batch-fleet");
const marker = path.join(FLEET, "HOSTS.json");
if (!existsSync(marker)) {
  console.log(`no fleet in ${FLEET}: run node dist/scripts/bench-batch.js first`);
  process.exit(2);
}
const hosts = JSON.parse(readFileSync(marker, "utf8")) as GeneratedHost[];
const PHASES = ["read", "analyze", "json", "html", "fragments", "files"] as const;
type Phase = (typeof PHASES)[number];

function cpuMs(run: () => void): number {
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}
async function cpuMsAsync<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const c0 = process.cpuUsage();
  const value = await run();
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, value };
}

function fragments(report: Report, write: (csv: string, ndjson: string) => void): void {
  const rows = new CsvRowWriter(FLEET_FLOW_COLUMNS);
  const r: FleetFlow = { hostId: "h", hostname: report.host.name, flow: report.flows[0]!, report };
  for (const flow of report.flows) {
    r.flow = flow;
    write(rows.row(r), JSON.stringify(fleetFlowObject(r)) + "\n");
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), "natlens-profile-batch-"));
console.log(`batch profile: ${PER_FORM} unbroken hosts per form from ${FLEET}, CPU ms per host (load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")})`);
console.log(`${"form".padEnd(10)}${PHASES.map((p) => p.padStart(10)).join("")}${"total".padStart(10)}`);
// one warm-up host, so module loading and JIT do not count against the first form
{
  const h = hosts.find((x) => !x.broken)!;
  const { sources } = await expandInputs([h.path]);
  await analyzeHost(sources, { collectGarbage: false });
}
for (const form of ["directory", "tar.gz", "tar.xz", "zip"] as const) {
  const sample = hosts.filter((h) => h.form === form && !h.broken).slice(0, PER_FORM);
  const sum: Record<Phase, number> = { read: 0, analyze: 0, json: 0, html: 0, fragments: 0, files: 0 };
  for (const [i, h] of sample.entries()) {
    const read = await cpuMsAsync(async () => {
      const { sources } = await expandInputs([h.path]);
      for (const s of sources) for await (const _ of s.open());
      return sources;
    });
    sum.read += read.ms;
    const analysed = await cpuMsAsync(() => analyzeHost(read.value, { collectGarbage: false }));
    sum.analyze += analysed.ms;
    const report = analysed.value;
    let json = "";
    let html = "";
    let csv = "";
    let ndjson = "";
    sum.json += cpuMs(() => writeHostReport(report, "json", (t) => (json += t)));
    sum.html += cpuMs(() => writeHostReport(report, "html", (t) => (html += t)));
    sum.fragments += cpuMs(() =>
      fragments(report, (c, n) => {
        csv += c;
        ndjson += n;
      }),
    );
    const dir = path.join(scratch, `${form}-${i}`);
    sum.files += cpuMs(() => {
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of [["analysis.json", json], ["report.html", html], ["fleet-flows.csv", csv], ["fleet-flows.ndjson", ndjson]] as const) {
        const f = atomicFile(path.join(dir, name));
        f.write(text);
        f.commit();
      }
    });
  }
  const per = (p: Phase) => sum[p] / sample.length;
  const total = PHASES.reduce((a, p) => a + per(p), 0);
  console.log(`${form.padEnd(10)}${PHASES.map((p) => per(p).toFixed(1).padStart(10)).join("")}${total.toFixed(1).padStart(10)}`);
}
rmSync(scratch, { recursive: true, force: true });

const done = path.resolve("bench-out", "batch-out-1000");
if (existsSync(path.join(done, "hosts.ndjson"))) {
  const rows = sortRows(
    readFileSync(path.join(done, "hosts.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as HostRow),
  );
  const out = mkdtempSync(path.join(tmpdir(), "natlens-profile-tables-"));
  const ms = cpuMs(() => writeFleetTables(out, rows, (r) => path.join(done, "hosts", r.host_id), { schema: "natlens/fleet@1", natlens: "profile", shard: null, hosts: rows.length, discovered: rows.length }));
  console.log(`fleet tables of ${rows.length} hosts (from ${done}): ${ms.toFixed(0)} ms CPU`);
  rmSync(out, { recursive: true, force: true });
}
