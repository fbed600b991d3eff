/**
 * `natlens merge SHARD_DIR.. --out DIR`: the fleet tables and summary of one
 * unsharded run, from the output directories of `batch --shard I/N` runs.
 * Rows are sorted by host_id and written from the shards' per-host fragments
 * by the same writer batch uses, so the bytes equal an unsharded run's apart
 * from the `seconds` column. The per-host directories are linked (or copied)
 * into DIR/hosts/.
 */
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { ExitCode, type Io, UsageError } from "../io.js";
import { hostDir, RUN_RECORD, HOSTS_DIR, removeLeftovers } from "../batch/files.js";
import { FLEET_SCHEMA, type HostRow } from "../batch/host-row.js";
import { sortRows, writeFleetTables, type RunRecord } from "../batch/tables.js";
import { resultLine } from "./batch.js";
import { VERSION } from "../main.js";

export interface MergeArgs {
  shards: string[];
  out: string;
  quiet: boolean;
}

/** Hard-links `from`'s files into `to` (copies across file systems), replacing what is there. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    if (e.isDirectory()) linkTree(a, b);
    else if (e.isFile() && !e.name.endsWith(".natlens-tmp")) {
      rmSync(b, { force: true });
      try {
        linkSync(a, b);
      } catch {
        copyFileSync(a, b);
      }
    }
  }
}

export async function merge(args: MergeArgs, io: Io): Promise<ExitCode> {
  const out = path.resolve(args.out);
  const rows: HostRow[] = [];
  const from = new Map<string, string>();
  const shards: string[] = [];
  let count: number | null = null;
  let discovered: number | null = null;
  for (const dir of args.shards) {
    if (path.resolve(dir) === out) throw new UsageError(`${dir} is both a shard and the --out directory`, "merge into a new directory");
    let run: RunRecord;
    try {
      run = JSON.parse(readFileSync(path.join(dir, RUN_RECORD), "utf8")) as RunRecord;
    } catch {
      throw new UsageError(`${dir}: not a finished natlens batch output (no ${RUN_RECORD})`, "run that shard again with --resume; it keeps the hosts already done");
    }
    if (run.schema !== FLEET_SCHEMA) throw new UsageError(`${dir}: ${RUN_RECORD} has schema ${JSON.stringify(run.schema)}, not ${FLEET_SCHEMA}`);
    const n = run.shard ? Number(run.shard.split("/")[1]) : 1;
    if (count !== null && n !== count) throw new UsageError(`${dir} is shard ${run.shard ?? "1/1"}, the others are of ${count}`, "merge the shards of one split");
    if (discovered !== null && run.discovered !== discovered) {
      throw new UsageError(`${dir} found ${run.discovered} hosts, the other shards ${discovered}`, "every shard must be run over the same inputs");
    }
    count = n;
    discovered = run.discovered;
    shards.push(run.shard ?? "1/1");
    const lines = readFileSync(path.join(dir, "hosts.ndjson"), "utf8").split("\n").filter(Boolean);
    for (const line of lines) {
      const row = JSON.parse(line) as HostRow;
      const seen = from.get(row.host_id);
      if (seen !== undefined) throw new UsageError(`host ${row.host_id} is in both ${seen} and ${dir}`, "merge each shard once; shards of one split never share a host");
      from.set(row.host_id, dir);
      rows.push(row);
    }
  }
  const missing: string[] = [];
  for (let i = 1; i <= (count ?? 0); i++) if (!shards.includes(`${i}/${count}`)) missing.push(`${i}/${count}`);
  const dupShard = shards.find((s, i) => shards.indexOf(s) !== i);
  if (dupShard) throw new UsageError(`shard ${dupShard} is given twice`);

  mkdirSync(path.join(out, HOSTS_DIR), { recursive: true });
  rmSync(path.join(out, RUN_RECORD), { force: true });
  removeLeftovers(out);
  sortRows(rows);
  for (const r of rows) {
    const src = hostDir(from.get(r.host_id)!, r.host_id);
    try {
      if (statSync(src).isDirectory()) linkTree(src, hostDir(out, r.host_id));
    } catch {
      // a host that failed before its directory was made has nothing to link
    }
  }
  const summary = writeFleetTables(out, rows, (r) => hostDir(from.get(r.host_id)!, r.host_id), {
    schema: FLEET_SCHEMA,
    natlens: VERSION,
    shard: null,
    hosts: rows.length,
    discovered: discovered ?? rows.length,
    merged: args.shards,
  });
  // -q: errors only, as batch; the summary is in DIR/summary.txt
  if (!args.quiet) io.stdout.write(summary);
  const gap = missing.length ? `; shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not given: their hosts are missing` : "";
  io.stderr.write(resultLine("merge", rows, null, args.out, gap));
  return rows.some((r) => r.status !== "ok") || missing.length ? ExitCode.Skipped : ExitCode.Ok;
}
