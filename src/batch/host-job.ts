/**
 * One host of a batch run, as a worker thread does it: analyse, write the
 * per-host reports and the host's share of the fleet tables, and last the
 * host record that marks it complete. Never throws: whatever goes wrong
 * becomes a failed row with the reason.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { OutputError } from "../io.js";
import { analyzeHostInputs, analyzeHostSources, PER_HOST_FILE, sourceOfData, type SourceData, writeHostReport, type PerHostFormat, type Report } from "./analyze-host.js";
import type { WhatIfChange } from "../api.js";
import { MEMBER_SEP, type HostInput } from "./discover.js";
import { FLEET_FLOW_COLUMNS, FLEET_SCHEMA, failedHostRow, fleetFlowObject, hostRowOf, type FleetFlow, type HostRow } from "./host-row.js";
import { atomicFile, FRAGMENT_CSV, FRAGMENT_NDJSON, HOST_RECORD, hostDir, removeLeftovers, writeFileAtomic } from "./files.js";
import { CsvRowWriter } from "../output/csv.js";
import { VERSION } from "../main.js";

export interface HostJob {
  host: HostInput;
  outDir: string;
  formats: PerHostFormat[];
  /** Keep the outputs of a previous run when they are complete and the input is unchanged. */
  resume: boolean;
  /** `--what-if`: the change every host is asked about (null: none). */
  whatIf: WhatIfChange | null;
  /**
   * The host's members, already read (a host of a fleet archive, cut out of
   * the one pass over it by the main thread), and what could not be read;
   * absent: the worker reads `host.input` itself.
   */
  read?: { sources: SourceData[]; missing: { input: string; message: string }[] };
}

export interface HostOutcome {
  row: HostRow;
  /** True when the outputs of an earlier run were kept (--resume). */
  kept: boolean;
  /** The host's outputs could not be written (a full disk): the run cannot go on. */
  outputFailed?: string;
}

/** DIR/hosts/<id>/host.json: the record that marks a host's outputs complete. */
export interface HostRecord {
  schema: typeof FLEET_SCHEMA;
  natlens: string;
  host: HostInput;
  /** How the input looked when analysed: `size+mtime:` then a SHA-256 over every file's relative path, size and mtime. */
  fingerprint: string;
  formats: PerHostFormat[];
  /** The --what-if the outputs were made with (absent in records of runs without one). */
  whatIf?: WhatIfChange | null;
  row: HostRow;
}

function listFiles(dir: string, rel: string, out: string[]): void {
  const list = readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of list) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) listFiles(dir, r, out);
    else if (e.isFile()) out.push(r);
  }
}

/** Size and modification time of every file of the host's input, hashed. */
export function fingerprintOf(host: HostInput): string {
  const h = createHash("sha256");
  if (host.kind === "directory") {
    const files: string[] = [];
    listFiles(host.input, "", files);
    for (const f of files) {
      const st = statSync(path.join(host.input, f));
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
    }
  } else {
    // a member of an archive changes with its archive
    const file = host.kind === "member" ? host.input.slice(0, host.input.indexOf(MEMBER_SEP)) : host.input;
    const st = statSync(file);
    h.update(`${st.size}\0${st.mtimeMs}\n`);
  }
  return `size+mtime:${h.digest("hex")}`;
}

function outputsOf(formats: readonly PerHostFormat[], withFragments: boolean): string[] {
  const files = ["json" as const, ...formats.filter((f) => f !== "json")].map((f) => PER_HOST_FILE[f]);
  if (withFragments) files.push(FRAGMENT_CSV, FRAGMENT_NDJSON);
  return files;
}

/** The record of a complete earlier run of this host, if its input is unchanged and every wanted file is there. */
function completeRecord(job: HostJob, dir: string, fingerprint: string): HostRecord | null {
  let rec: HostRecord;
  try {
    rec = JSON.parse(readFileSync(path.join(dir, HOST_RECORD), "utf8")) as HostRecord;
  } catch {
    return null;
  }
  if (rec.schema !== FLEET_SCHEMA || rec.natlens !== VERSION || rec.fingerprint !== fingerprint) return null;
  if (rec.host?.id !== job.host.id || rec.host.input !== job.host.input || rec.row?.status === "failed") return null;
  if (!job.formats.every((f) => rec.formats.includes(f))) return null;
  if ((rec.whatIf ?? null) !== job.whatIf) return null;
  for (const f of outputsOf(job.formats, true)) {
    try {
      statSync(path.join(dir, f));
    } catch {
      return null;
    }
  }
  return rec;
}

/** Everything a run writes into a host's directory (a new run starts by removing them, the record first). */
function clearHost(dir: string): void {
  rmSync(path.join(dir, HOST_RECORD), { force: true });
  for (const f of [...Object.values(PER_HOST_FILE), FRAGMENT_CSV, FRAGMENT_NDJSON]) rmSync(path.join(dir, f), { force: true });
  removeLeftovers(dir);
}

function writeFragments(dir: string, hostId: string, report: Report): void {
  const csv = atomicFile(path.join(dir, FRAGMENT_CSV));
  const ndjson = atomicFile(path.join(dir, FRAGMENT_NDJSON));
  try {
    const rows = new CsvRowWriter(FLEET_FLOW_COLUMNS);
    const r: FleetFlow = { hostId, hostname: report.host.name, flow: report.flows[0]!, report };
    for (const flow of report.flows) {
      r.flow = flow;
      csv.write(rows.row(r));
      ndjson.write(JSON.stringify(fleetFlowObject(r)) + "\n");
    }
    csv.commit();
    ndjson.commit();
  } catch (err) {
    csv.abort();
    ndjson.abort();
    throw err;
  }
}

const seconds = (t0: bigint) => Math.round(Number(process.hrtime.bigint() - t0) / 1e6) / 1e3;

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!;

export async function runHostJob(job: HostJob): Promise<HostOutcome> {
  const t0 = process.hrtime.bigint();
  const { host } = job;
  const dir = hostDir(job.outDir, host.id);
  const base = { host_id: host.id, input: host.input, seconds: 0 };
  let fingerprint = "";
  try {
    const created = mkdirSync(dir, { recursive: true }) !== undefined;
    fingerprint = fingerprintOf(host);
    if (job.resume && !created) {
      const rec = completeRecord(job, dir, fingerprint);
      if (rec) return { row: rec.row, kept: true };
    }
    if (!created) clearHost(dir);
  } catch (err) {
    return { row: failedHostRow({ ...base, seconds: seconds(t0) }, `cannot read or write: ${reasonOf(err)}`), kept: false };
  }
  let row: HostRow;
  try {
    const analysis = job.read
      ? await analyzeHostSources(job.read.sources.map(sourceOfData), job.read.missing, job.whatIf)
      : await analyzeHostInputs([host.input], job.whatIf);
    if (!analysis.ok) row = failedHostRow(base, analysis.reason);
    else {
      for (const format of outputsOf(job.formats, false).map((f) => (Object.keys(PER_HOST_FILE) as PerHostFormat[]).find((k) => PER_HOST_FILE[k] === f)!)) {
        const file = atomicFile(path.join(dir, PER_HOST_FILE[format]));
        try {
          writeHostReport(analysis.report, format, (t) => file.write(t));
          file.commit();
        } catch (err) {
          file.abort();
          throw err;
        }
      }
      writeFragments(dir, host.id, analysis.report);
      row = hostRowOf(base, analysis.report, analysis.skipped);
    }
  } catch (err) {
    try {
      clearHost(dir);
    } catch {
      // the failure is reported below either way
    }
    if (err instanceof OutputError) {
      row = failedHostRow({ ...base, seconds: seconds(t0) }, err.message);
      return { row, kept: false, outputFailed: err.message };
    }
    row = failedHostRow(base, `internal error: ${reasonOf(err)}`);
  }
  row.seconds = seconds(t0);
  const record: HostRecord = { schema: FLEET_SCHEMA, natlens: VERSION, host, fingerprint, formats: job.formats, whatIf: job.whatIf, row };
  try {
    writeFileAtomic(path.join(dir, HOST_RECORD), JSON.stringify(record, null, 2) + "\n");
  } catch (err) {
    row = failedHostRow(base, `cannot write ${HOST_RECORD}: ${reasonOf(err)}`);
    row.seconds = seconds(t0);
    if (err instanceof OutputError) return { row, kept: false, outputFailed: err.message };
  }
  return { row, kept: false };
}
