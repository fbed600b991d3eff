/**
 * `natlens batch`: analyse a fleet of host bundles in one run. Finds the hosts
 * (src/batch/discover.ts), analyses them in a pool of worker threads
 * (src/batch/pool.ts), then writes the fleet tables and the summary
 * (src/batch/tables.ts). One host failing never stops the others.
 */
import { mkdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { ExitCode, type Io, UsageError } from "../io.js";
import { PER_HOST_FORMATS, type PerHostFormat } from "../batch/analyze-host.js";
import { discoverHosts, parseShard, shardOf } from "../batch/discover.js";
import { hostDir, removeLeftovers, RUN_RECORD } from "../batch/files.js";
import type { HostJob } from "../batch/host-job.js";
import type { HostRow } from "../batch/host-row.js";
import { runPool } from "../batch/pool.js";
import { FleetReader } from "../batch/fleet-jobs.js";
import { parseWhatIf } from "../api.js";
import { ProgressLine } from "../batch/progress.js";
import { sortRows, writeFleetTables } from "../batch/tables.js";
import { VERSION } from "../main.js";
import { visible } from "../safe-text.js";

export interface BatchArgs {
  inputs: string[];
  out: string;
  /** Worker threads: a number, or what the command line gave (checked here; `true` for a bare --jobs). */
  jobs?: number | string | boolean | undefined;
  formatPerHost: string[];
  resume: boolean;
  shard?: string | undefined;
  failFast: boolean;
  quiet: boolean;
  /** `--what-if userland-proxy=false|true`: each host's verdict in the hosts table and the summary. */
  whatIf?: string | undefined;
}

/** Heap limit of one worker thread, MB. */
const WORKER_HEAP_MB = 2048;

export function parsePerHostFormats(specs: readonly string[]): PerHostFormat[] {
  // analysis.json and report.html always: the fleet tables and the fleet page (index.html) link to them
  const out: PerHostFormat[] = ["json", "html"];
  for (const spec of specs)
    for (const raw of spec.split(",")) {
      const f = raw.trim();
      if (!f) continue;
      if (!(PER_HOST_FORMATS as readonly string[]).includes(f)) {
        const offered = PER_HOST_FORMATS.filter((x) => !out.slice(0, 2).includes(x));
        throw new UsageError(`--format-per-host ${JSON.stringify(f)} is not one of ${offered.join(", ")} (analysis.json and report.html are always written)`, "e.g. --format-per-host text,csv");
      }
      if (!out.includes(f as PerHostFormat)) out.push(f as PerHostFormat);
    }
  return out;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

/** The one line printed at the end of batch and merge, whatever else is shown. */
export function resultLine(verb: string, rows: readonly HostRow[], seconds: number | null, out: string, extra = ""): string {
  const n = (s: HostRow["status"]) => rows.filter((r) => r.status === s).length;
  const time = seconds === null ? "" : ` in ${seconds.toFixed(1)} s (${(rows.length / Math.max(seconds, 1e-3)).toFixed(1)} hosts/s)`;
  return `natlens ${verb}: ${plural(rows.length, "host")}${time}: ${n("ok")} ok, ${n("partial")} partial, ${n("failed")} failed${extra}; tables in ${out}\n`;
}

export async function batch(args: BatchArgs, io: Io): Promise<ExitCode> {
  const formats = parsePerHostFormats(args.formatPerHost);
  const jobs = args.jobs === undefined ? availableParallelism() : typeof args.jobs === "number" ? args.jobs : typeof args.jobs === "string" && /^\d+$/.test(args.jobs) ? Number(args.jobs) : NaN;
  if (!Number.isInteger(jobs) || jobs < 1) {
    const what = typeof args.jobs === "boolean" ? "--jobs needs a number" : `--jobs ${JSON.stringify(String(args.jobs))} is not a positive whole number`;
    throw new UsageError(what, "e.g. --jobs 4 (the default is the CPU count)");
  }
  const shard = args.shard === undefined ? null : parseShard(args.shard);
  const whatIf = args.whatIf === undefined ? null : parseWhatIf(args.whatIf);
  if (args.whatIf !== undefined && whatIf === null) throw new UsageError(`--what-if ${JSON.stringify(args.whatIf)} is not a change natlens can predict`, "use --what-if userland-proxy=false (or =true)");
  if (typeof shard === "string") throw new UsageError(shard, "e.g. --shard 3/8 takes the third of eight shares");

  const found = await discoverHosts(args.inputs, args.out);
  for (const p of found.problems) io.stderr.write(`natlens: error: ${visible(p.input)}: ${visible(p.message)}\n${p.hint ? `    hint: ${visible(p.hint)}\n` : ""}`);
  if (found.problems.length) return ExitCode.Usage;
  if (!args.quiet) for (const note of found.notes) io.stderr.write(`natlens: note: ${visible(note)}\n`);
  if (found.hosts.length === 0) throw new UsageError("no host bundles found in the inputs", "name bundle directories or archives, or a directory holding them");
  const hosts = shard ? found.hosts.filter((h) => shardOf(h.id, shard.count) === shard.index) : found.hosts;

  try {
    mkdirSync(args.out, { recursive: true });
    rmSync(path.join(args.out, RUN_RECORD), { force: true }); // the run is complete again only when this is rewritten
    removeLeftovers(args.out);
  } catch (err) {
    io.stderr.write(`natlens: error: ${visible(args.out)}: cannot write the output directory: ${visible((err as Error).message)}\n`);
    return ExitCode.Usage;
  }

  // hosts of fleet archives are read by one pass over each archive, in its order
  const fleets = new FleetReader(found.fleets, hosts);
  const work: HostJob[] = fleets.ordered().map((host) => ({ host, outDir: args.out, formats, resume: args.resume, whatIf }));
  const rows: HostRow[] = [];
  let failed = 0;
  let kept = 0;
  let stoppedAt: HostRow | null = null;
  /** The first host whose outputs could not be written (a full disk): the run stops there. */
  let outputFailed: string | null = null;
  const progress = new ProgressLine(io.stderr, io.stderrIsTTY && !args.quiet, hosts.length);
  progress.update(0, 0, true);
  const pool = runPool(work, { jobs, heapMb: WORKER_HEAP_MB, prepare: (job) => fleets.prepare(job) }, (_job, outcome) => {
    if (stoppedAt || outputFailed) return;
    if (outcome.outputFailed) {
      outputFailed = outcome.outputFailed;
      void pool.stop();
      return;
    }
    rows.push(outcome.row);
    if (outcome.kept) kept++;
    if (outcome.row.status === "failed") {
      failed++;
      if (args.failFast) {
        stoppedAt = outcome.row;
        void pool.stop();
      }
    }
    progress.update(rows.length, failed);
  });
  await pool.done;
  await fleets.close();
  progress.clear();
  if (outputFailed) {
    io.stderr.write(`natlens: error: ${visible(outputFailed)}\n    hint: free some space (or choose another --out) and rerun with --resume: finished hosts are kept\n`);
    return ExitCode.Usage;
  }

  sortRows(rows);
  let summary: string;
  try {
    summary = writeFleetTables(args.out, rows, (r) => hostDir(args.out, r.host_id), {
      schema: "natlens/fleet@1",
      natlens: VERSION,
      shard: shard ? `${shard.index}/${shard.count}` : null,
      hosts: rows.length,
      discovered: found.hosts.length,
    });
  } catch (err) {
    io.stderr.write(`natlens: error: ${visible(args.out)}: cannot write the fleet tables: ${visible((err as Error).message)}\n`);
    return ExitCode.Usage;
  }
  // -q: errors only; the summary is in DIR/summary.txt
  if (!args.quiet) io.stdout.write(summary);
  const stop = stoppedAt as HostRow | null;
  const extra =
    (kept ? `, ${kept} kept from the earlier run` : "") +
    (stop ? `; stopped at the first failure (${stop.host_id}: ${stop.error ?? "failed"}), ${plural(hosts.length - rows.length, "host")} not analysed` : "");
  io.stderr.write(resultLine("batch", rows, progress.elapsedSeconds(), args.out, extra));
  return rows.some((r) => r.status !== "ok") || stop ? ExitCode.Skipped : ExitCode.Ok;
}
