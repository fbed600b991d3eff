/**
 * The fleet tables of a batch output directory, written from the per-host
 * fragments in one deterministic order: hosts sorted by host_id (byte order),
 * each host's flows in its report's order. Flows are copied fragment by
 * fragment, never held for the whole fleet; only the host rows (one small
 * object per host) are in memory. `batch` and `merge` both end here, which is
 * why a merge of shards writes the bytes of an unsharded run.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { csvHeader, CsvRowWriter } from "../output/csv.js";
import { atomicFile, FRAGMENT_CSV, FRAGMENT_NDJSON, RUN_RECORD, writeFileAtomic, type AtomicFile } from "./files.js";
import { FLEET_FLOW_COLUMNS, FLEET_SCHEMA, HOST_COLUMNS, type HostRow } from "./host-row.js";
import { renderSummary } from "./summary.js";
import { writeFleetIndex } from "../output/html/fleet.js";

/** The documented order of every fleet table. */
export function sortRows(rows: HostRow[]): HostRow[] {
  return rows.sort((a, b) => (a.host_id < b.host_id ? -1 : a.host_id > b.host_id ? 1 : 0));
}

export interface RunRecord {
  schema: typeof FLEET_SCHEMA;
  natlens: string;
  /** The share of hosts this run took, `I/N`, or null for all of them. */
  shard: string | null;
  hosts: number;
  /** Hosts found before sharding, in every shard. */
  discovered: number;
  /** For a merge: the directories it merged. */
  merged?: string[];
}

/**
 * Writes DIR/flows.csv, flows.ndjson, hosts.csv, hosts.ndjson, summary.txt and
 * the fleet page index.html (each atomically), then DIR/batch.json. `fragmentsOf(row)` is the directory
 * holding the host's fleet-flows.* fragments. Returns the summary text.
 */
export function writeFleetTables(outDir: string, rows: readonly HostRow[], fragmentsOf: (row: HostRow) => string, run: RunRecord): string {
  const files: AtomicFile[] = [];
  const open = (name: string) => {
    const f = atomicFile(path.join(outDir, name));
    files.push(f);
    return f;
  };
  try {
    const flowsCsv = open("flows.csv");
    const flowsNdjson = open("flows.ndjson");
    flowsCsv.write(csvHeader(FLEET_FLOW_COLUMNS as never));
    for (const r of rows) {
      if (r.status === "failed") continue;
      const dir = fragmentsOf(r);
      flowsCsv.writeBytes(readFileSync(path.join(dir, FRAGMENT_CSV)));
      flowsNdjson.writeBytes(readFileSync(path.join(dir, FRAGMENT_NDJSON)));
    }
    const hostsCsv = open("hosts.csv");
    const hostsNdjson = open("hosts.ndjson");
    hostsCsv.write(csvHeader(HOST_COLUMNS as never));
    const rowWriter = new CsvRowWriter(HOST_COLUMNS);
    for (const r of rows) {
      hostsCsv.write(rowWriter.row(r));
      hostsNdjson.write(JSON.stringify(r) + "\n");
    }
    for (const f of files) f.commit();
  } catch (err) {
    for (const f of files) f.abort();
    throw err;
  }
  const summary = renderSummary(rows);
  writeFileAtomic(path.join(outDir, "summary.txt"), summary);
  let page = "";
  writeFleetIndex(rows, (t) => (page += t), { hasReport: (r) => r.status !== "failed" && existsSync(path.join(fragmentsOf(r), "report.html")) });
  writeFileAtomic(path.join(outDir, "index.html"), page);
  writeFileAtomic(path.join(outDir, RUN_RECORD), JSON.stringify(run, null, 2) + "\n");
  return summary;
}
