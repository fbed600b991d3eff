/**
 * Where `analyze` spends its time and memory, stage by stage (issue 16).
 *
 *   node --expose-gc dist/scripts/profile-analyze.js [BUNDLE_DIR] [json|text|csv|html]
 *
 * Runs the stages of analyzeHost one after the other on one bundle (by
 * default the bench host, bench-out/analyze-host, made by bench-analyze.js)
 * and prints, per stage, the wall and CPU time (CPU time is steadier on a
 * shared machine; it counts GC and other threads too), the heap live after a full
 * collection (what the stage leaves behind) and the process RSS. `read`
 * only reads every source's bytes (no parse) to show the I/O floor.
 * The writer runs into a sink that counts bytes and keeps nothing.
 * Numbers are for finding hot spots; judge speed with bench-analyze.js.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { expandInputs } from "../src/input/read.js";
import { loadSources } from "../src/analyze/bundle.js";
import { buildModel, ConntrackIndex, type HostModel } from "../src/analyze/model.js";
import type { AttributedFlow } from "../src/analyze/flow-types.js";
import { attribute } from "../src/analyze/flows.js";
import { explainOwnFlows } from "../src/analyze/explain.js";
import { runFindings } from "../src/findings/registry.js";
import { buildReport } from "../src/analyze/report.js";
import { resolveEvidenceText } from "../src/analyze/evidence.js";
import { writeAnalysis } from "../src/output/analyze.js";
import type { AnalyzeFormat } from "../src/output/formats.js";
import { AddrMemo } from "../src/context.js";
import { withAddrMemo } from "../src/net/addr.js";

const dir = process.argv[2] ?? path.join("bench-out", "analyze-host");
const format = (process.argv[3] ?? "json") as AnalyzeFormat;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.log("(run with --expose-gc to see live heap sizes)");

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`.padStart(7);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
const rows: string[] = [];
let total = 0;
let totalCpu = 0;
/** The host's address memo, as analyzeBundle makes one per host: the synchronous stages run with it. */
const memo = new AddrMemo();
async function stage<T>(name: string, run: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const v = await withAddrMemo(memo, run);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  totalCpu += cpuMs;
  total += ms;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  gc?.();
  const m = process.memoryUsage();
  rows.push(`${name.padEnd(22)} ${(ms / 1000).toFixed(2).padStart(6)} s wall ${(cpuMs / 1000).toFixed(2).padStart(6)} s cpu   live heap ${mb(m.heapUsed)}  ext ${mb(m.external + m.arrayBuffers)}  rss ${mb(m.rss)}  peak rss so far ${mb(peakRss)}`);
  return v;
}

const { sources } = await expandInputs([dir], undefined);
await stage("read (bytes only)", async () => {
  let bytes = 0;
  for (const s of sources) for await (const c of s.open()) bytes += c.length;
  return bytes;
});
const bundle = await stage("parse (bundle)", () => loadSources(sources, {}));
const counts = `${bundle.sockets.length} socket, ${bundle.conntrack.length} conntrack, ${bundle.rules.length} rule, ${bundle.processes.length} process records`;
const held: { model: HostModel | null; attributed: AttributedFlow[] | null } = { model: null, attributed: null };
held.model = await stage("model", () => buildModel(bundle));
// as analyzeBundle does: the records are dropped once the model is built, the model once the report is
for (const k of ["sockets", "conntrack", "processes", "rules", "chains", "containers", "networks", "addresses", "routes"] as const) bundle[k] = [];
await stage("(drop records)", () => undefined);
held.attributed = await stage("flows (attribution)", () => attribute(held.model!));
held.model!.ct = new ConntrackIndex(); // as analyzeBundle does: nothing after attribution reads it
await stage("(drop conntrack index)", () => undefined);
const flows = await stage("explain (+engine)", () => explainOwnFlows(held.model!, held.attributed!));
held.attributed = null;
const findings = await stage("findings", () => runFindings(held.model!, flows));
const report = await stage("report", () => buildReport(held.model!, flows, findings));
held.model = null;
await stage("(drop model)", () => undefined);
await stage("evidence text", () => {
  const items = function* () {
    for (const f of report.flows) yield* f.evidence;
    for (const f of report.findings) yield* f.evidence;
  };
  return resolveEvidenceText(items(), bundle.sources);
});
let bytes = 0;
await stage(`write ${format}`, () => writeAnalysis(report, format, (t) => (bytes += t.length)));
clearInterval(sampler);
console.log(`${dir}: ${counts}; ${report.flows.length} flows; ${format} ${(bytes / 1048576).toFixed(0)} M chars`);
for (const r of rows) console.log(r);
console.log(`total ${(total / 1000).toFixed(2)} s wall, ${(totalCpu / 1000).toFixed(2)} s cpu (all threads, GC included), peak rss ${mb(peakRss)}`);
