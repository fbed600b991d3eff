/**
 * The fleet tables' rows (`natlens/fleet@1`, docs/schema.md): one HostRow per
 * host input (DIR/hosts.csv, DIR/hosts.ndjson) and one fleet flow row per flow
 * of every host (DIR/flows.csv, DIR/flows.ndjson). Column names and order are
 * a public contract: columns are only added at the end of a table (before
 * `seconds` in the hosts table, which stays last), anything else bumps the
 * schema version.
 *
 * HostRow is also what other fleet writers (the HTML fleet page) read: take it
 * from DIR/hosts.ndjson, one JSON object per line, keys as below.
 */
import type { Column } from "../output/columns.js";
import { FLOW_CSV_COLUMNS, type HostFlow, type Report } from "./analyze-host.js";

export const FLEET_SCHEMA = "natlens/fleet@1";

/** Flow paths with a column of their own in the hosts table, in column order. */
export const FLEET_PATHS = ["dnat", "docker-proxy", "direct", "unknown", "forwarder"] as const satisfies readonly HostFlow["path"][];

export type HostStatus = "ok" | "partial" | "failed";

/** One row of DIR/hosts.csv / DIR/hosts.ndjson. */
export interface HostRow {
  /** Unique in the run: the input's base name without archive extensions, then `-2`, `-3`... for repeats. */
  host_id: string;
  /** Where the host bundle was found: a directory, an archive, or `ARCHIVE!/member`, as the command line named it. */
  input: string;
  /** The bundle's own host name (its `hostname` file), null when it has none or the host failed. */
  hostname: string | null;
  /** ok: analysed cleanly; partial: analysed, but some lines or files were skipped (`analyze` would exit 1); failed: no report (see error). */
  status: HostStatus;
  /** Why the host failed, or the first skipped line of a partial host; null when ok. */
  error: string | null;
  userland_proxy: "on" | "off" | "unknown" | null;
  firewall_backend: string | null;
  docker_version: string | null;
  containers: number | null;
  published_ports: number | null;
  flows: number | null;
  flows_dnat: number | null;
  flows_docker_proxy: number | null;
  flows_direct: number | null;
  flows_unknown: number | null;
  /** Flows a rootless engine's userland forwarder relayed (path `forwarder`; a column since analysis@1.2). */
  flows_forwarder: number | null;
  /** Flows whose container sees another peer than the real client (the bridge gateway, docker-proxy, a masquerade). */
  flows_sees_gateway: number | null;
  /** Diagnostics of severity warning / error while reading the host's inputs. */
  warnings: number | null;
  errors: number | null;
  /** The report's findings as `id=count` joined with `;`, ids sorted. */
  findings: string | null;
  /** `batch --what-if`: the change asked about and the host's verdict (`safe`, `breaks`, `unknown`, `no-change`); null without --what-if. */
  what_if_change: string | null;
  what_if_verdict: string | null;
  /** Flows that work today and would break, and those by cause (`cause=n` joined with `;`). */
  what_if_breaks: number | null;
  what_if_causes: string | null;
  /** Wall time spent on this host. The only column that differs between identical runs. */
  seconds: number;
}

export const HOST_COLUMNS: readonly Column<HostRow>[] = [
  { name: "host_id", get: (r) => r.host_id },
  { name: "input", get: (r) => r.input },
  { name: "hostname", get: (r) => r.hostname },
  { name: "status", get: (r) => r.status },
  { name: "error", get: (r) => r.error },
  { name: "userland_proxy", get: (r) => r.userland_proxy },
  { name: "firewall_backend", get: (r) => r.firewall_backend },
  { name: "docker_version", get: (r) => r.docker_version },
  { name: "containers", get: (r) => r.containers },
  { name: "published_ports", get: (r) => r.published_ports },
  { name: "flows", get: (r) => r.flows },
  { name: "flows_dnat", get: (r) => r.flows_dnat },
  { name: "flows_docker_proxy", get: (r) => r.flows_docker_proxy },
  { name: "flows_direct", get: (r) => r.flows_direct },
  { name: "flows_unknown", get: (r) => r.flows_unknown },
  { name: "flows_sees_gateway", get: (r) => r.flows_sees_gateway },
  { name: "warnings", get: (r) => r.warnings },
  { name: "errors", get: (r) => r.errors },
  { name: "findings", get: (r) => r.findings },
  { name: "what_if_change", get: (r) => r.what_if_change },
  { name: "what_if_verdict", get: (r) => r.what_if_verdict },
  { name: "what_if_breaks", get: (r) => r.what_if_breaks },
  { name: "what_if_causes", get: (r) => r.what_if_causes },
  { name: "flows_forwarder", get: (r) => r.flows_forwarder },
  { name: "seconds", get: (r) => r.seconds },
];

/** A flow row of the fleet flows table: the host it belongs to, then the flow. */
export interface FleetFlow {
  hostId: string;
  hostname: string | null;
  flow: HostFlow;
  report: Report;
}

/** DIR/flows.csv columns: host_id, hostname, then every column of `analyze --format csv`. */
export const FLEET_FLOW_COLUMNS: readonly Column<FleetFlow>[] = [
  { name: "host_id", get: (r) => r.hostId },
  { name: "hostname", get: (r) => r.hostname },
  ...FLOW_CSV_COLUMNS.map((c): Column<FleetFlow> => ({ name: c.name, get: (r) => c.get(r.flow, r.report) })),
];

/** The container sees another peer than the client (docker-proxy's or a masquerade's address). */
export function seesGateway(f: HostFlow): boolean {
  return f.containerSees !== null && f.containerSees.ip !== f.client.ip;
}

/** The hosts-table row of an analysed host. */
export function hostRowOf(base: { host_id: string; input: string; seconds: number }, report: Report, skipped: boolean): HostRow {
  const paths: Record<(typeof FLEET_PATHS)[number], number> = { dnat: 0, "docker-proxy": 0, direct: 0, unknown: 0, forwarder: 0 };
  let gateway = 0;
  for (const f of report.flows) {
    paths[f.path]++;
    if (seesGateway(f)) gateway++;
  }
  const findings = new Map<string, number>();
  for (const f of report.findings) findings.set(f.id, (findings.get(f.id) ?? 0) + 1);
  const firstError = report.diagnostics.find((d) => d.severity === "error");
  const h = report.host;
  return {
    host_id: base.host_id,
    input: base.input,
    hostname: h.name,
    status: skipped ? "partial" : "ok",
    error: skipped && firstError ? `${firstError.file ?? "input"}${firstError.line !== null ? `:${firstError.line}` : ""}: ${firstError.message} [${firstError.code}]` : skipped ? "some lines or files were skipped" : null,
    userland_proxy: h.userlandProxy,
    firewall_backend: h.firewallBackend,
    docker_version: h.dockerVersion,
    containers: report.containers.length,
    published_ports: report.published.length,
    flows: report.flows.length,
    flows_dnat: paths.dnat,
    flows_docker_proxy: paths["docker-proxy"],
    flows_direct: paths.direct,
    flows_unknown: paths.unknown,
    flows_forwarder: paths.forwarder,
    flows_sees_gateway: gateway,
    warnings: report.diagnostics.filter((d) => d.severity === "warning").length,
    errors: report.diagnostics.filter((d) => d.severity === "error").length,
    findings: [...findings.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([id, n]) => `${id}=${n}`)
      .join(";"),
    what_if_change: report.whatIf?.change ?? null,
    what_if_verdict: report.whatIf?.verdict ?? null,
    what_if_breaks: report.whatIf ? report.whatIf.breaks.reduce((n, b) => n + b.flows.length, 0) : null,
    what_if_causes: report.whatIf ? report.whatIf.breaks.map((b) => `${b.cause}=${b.flows.length}`).join(";") : null,
    seconds: base.seconds,
  };
}

/** The hosts-table row of a host that gave no report. */
export function failedHostRow(base: { host_id: string; input: string; seconds: number }, reason: string): HostRow {
  return {
    host_id: base.host_id,
    input: base.input,
    hostname: null,
    status: "failed",
    error: reason,
    userland_proxy: null,
    firewall_backend: null,
    docker_version: null,
    containers: null,
    published_ports: null,
    flows: null,
    flows_dnat: null,
    flows_docker_proxy: null,
    flows_direct: null,
    flows_unknown: null,
    flows_forwarder: null,
    flows_sees_gateway: null,
    warnings: null,
    errors: null,
    findings: null,
    what_if_change: null,
    what_if_verdict: null,
    what_if_breaks: null,
    what_if_causes: null,
    seconds: base.seconds,
  };
}

/** A flow as one DIR/flows.ndjson object: the CSV columns as keys, values typed (numbers, booleans, null). */
export function fleetFlowObject(r: FleetFlow): Record<string, string | number | boolean | null> {
  const o: Record<string, string | number | boolean | null> = {};
  for (const c of FLEET_FLOW_COLUMNS) o[c.name] = c.get(r);
  return o;
}
