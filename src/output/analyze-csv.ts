/** The analyze CSV report: one row per flow; the columns are a public contract (docs/schema.md). */
import type { Flow } from "../analyze/flow-types.js";
import type { Report } from "../analyze/report.js";
import { csvCell } from "./csv.js";

/** CSV columns of `analyze --to csv`: a public contract (docs/schema.md). */
export const FLOW_CSV_COLUMNS: { name: string; get(f: Flow, r: Report): string | number | boolean | null }[] = [
  { name: "host", get: (_f, r) => r.host.name },
  { name: "container", get: (f) => f.container?.name ?? null },
  { name: "container_ip", get: (f) => f.container?.ip ?? null },
  { name: "container_port", get: (f) => f.container?.port ?? null },
  { name: "published_ip", get: (f) => f.published?.ip ?? null },
  { name: "published_port", get: (f) => f.published?.port ?? null },
  { name: "client_ip", get: (f) => f.client.ip },
  { name: "client_port", get: (f) => f.client.port },
  { name: "client_kind", get: (f) => f.client.kind },
  { name: "path", get: (f) => f.path },
  { name: "snat", get: (f) => f.snat },
  { name: "state", get: (f) => f.state },
  { name: "confidence", get: (f) => f.confidence },
  { name: "explanation", get: (f) => f.explanation },
  // Added after the contracted columns:
  { name: "proto", get: (f) => f.proto },
  { name: "outcome", get: (f) => f.outcome },
  { name: "path_detail", get: (f) => f.pathDetail },
  { name: "client_container", get: (f) => f.client.container },
  { name: "container_sees", get: (f) => (f.containerSees ? `${f.containerSees.ip}:${f.containerSees.port ?? ""}` : null) },
  { name: "proxy_pid", get: (f) => f.proxy?.pid ?? null },
  { name: "evidence", get: (f) => f.evidence.map((e) => `${e.file}:${e.line}`).join(" ") },
];

/**
 * Columns appended after FLOW_CSV_COLUMNS when the report holds a what-if
 * (`analyze --what-if`): a public contract too (docs/schema.md). Without a
 * what-if the table is exactly FLOW_CSV_COLUMNS.
 */
export const WHAT_IF_CSV_COLUMNS: { name: string; get(f: Flow, r: Report): string | number | boolean | null }[] = [
  { name: "what_if_change", get: (f) => f.whatIf?.change ?? null },
  { name: "what_if_outcome", get: (f) => f.whatIf?.outcome ?? null },
  { name: "what_if_path", get: (f) => f.whatIf?.path ?? null },
  { name: "what_if_client_seen", get: (f) => (f.whatIf?.clientSeen ? `${f.whatIf.clientSeen.ip}:${f.whatIf.clientSeen.port ?? ""}` : null) },
  { name: "what_if_cause", get: (f) => f.whatIf?.cause ?? null },
  { name: "what_if_assumption", get: (f) => f.whatIf?.assumption ?? null },
  { name: "what_if_why", get: (f) => f.whatIf?.why ?? null },
  { name: "what_if_verdict", get: (_f, r) => r.whatIf?.verdict ?? null },
];

/** The columns of `r`'s CSV table: the contracted ones, then the what-if's when it has one. */
export function csvColumnsOf(r: Report): typeof FLOW_CSV_COLUMNS {
  return r.whatIf ? [...FLOW_CSV_COLUMNS, ...WHAT_IF_CSV_COLUMNS] : FLOW_CSV_COLUMNS;
}

export function renderCsv(r: Report): string {
  let out = "";
  writeCsv(r, (t) => (out += t));
  return out;
}

/**
 * The CSV report, written row by row (each row ends in "\r\n"). `raw`
 * (`--csv-raw`): cells as they are, no formula neutralisation and no escapes of
 * control characters, for pandas/DuckDB; unsafe to open in a spreadsheet.
 */
export function writeCsv(r: Report, write: (text: string) => void, raw = false): void {
  const columns = csvColumnsOf(r);
  write(columns.map((c) => c.name).join(",") + "\r\n");
  for (const f of r.flows) write(columns.map((c) => csvCell(c.get(f, r), raw)).join(",") + "\r\n");
}
