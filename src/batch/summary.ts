/**
 * DIR/summary.txt: what the fleet tables say, for a person. Made from the
 * host rows alone, so `merge` of shards writes the same summary as one run.
 * Nothing in it depends on timing.
 */
import { FLEET_PATHS, type HostRow } from "./host-row.js";

/** What each finding id means across a fleet (ids the table does not know are shown as they are). */
const FINDING_TITLES: Record<string, { title: string; unit: string }> = {
  "proxy-busy": { title: "docker-proxy relays connections, so containers see the bridge gateway for them [proxy-busy]", unit: "listener" },
  "proxy-idle-dnat": { title: "docker-proxy listens but every client was DNATed past it [proxy-idle-dnat]", unit: "listener" },
  "dockerd-placeholders": { title: "dockerd holds published ports as placeholders (userland-proxy off) [dockerd-placeholders]", unit: "finding" },
  "published-no-listener": { title: "a published port has no listener on the host [published-no-listener]", unit: "port" },
  "published-no-dnat": { title: "a published port has no DNAT rule [published-no-dnat]", unit: "port" },
  "stale-dnat-rule": { title: "a DNAT rule points to an address no container has [stale-dnat-rule]", unit: "rule" },
  "missing-evidence": { title: "the capture lacks evidence natlens needs [missing-evidence]", unit: "gap" },
};

/** Findings left out of the ranking because another line says it better (the what-if has its own section). */
const COVERED = new Set(["userland-proxy", "what-if"]);

export interface FleetLine {
  title: string;
  hosts: string[];
  /** How many flows (or ports, listeners... see unit) it touches over the fleet; null when it is about hosts only. */
  count: number | null;
  unit: string;
}

const EXAMPLES = 3;

export function parseFindings(cell: string | null): [string, number][] {
  if (!cell) return [];
  return cell.split(";").map((p) => {
    const eq = p.lastIndexOf("=");
    return [p.slice(0, eq), Number(p.slice(eq + 1))];
  });
}

/** The fleet findings, most hosts first (then most flows, then title). */
export function fleetFindings(rows: readonly HostRow[]): FleetLine[] {
  const lines = new Map<string, FleetLine>();
  const add = (title: string, host: string, count: number | null, unit = "flow") => {
    let l = lines.get(title);
    if (!l) lines.set(title, (l = { title, hosts: [], count: count === null ? null : 0, unit }));
    l.hosts.push(host);
    if (count !== null) l.count = (l.count ?? 0) + count;
  };
  for (const r of rows) {
    if (r.status === "failed") {
      add("captures that could not be analysed (status failed)", r.host_id, null);
      continue;
    }
    if (r.status === "partial") add("captures with skipped lines or files (status partial)", r.host_id, null);
    if (r.userland_proxy === "on") add("userland-proxy is on (docker-proxy relays published ports)", r.host_id, null);
    if (r.userland_proxy === "unknown") add("userland-proxy mode unknown from the capture", r.host_id, null);
    if (r.flows_sees_gateway) add("containers see the bridge gateway or a proxy instead of the real client", r.host_id, r.flows_sees_gateway);
    if (r.flows_unknown) add("flows whose path could not be decided (path unknown)", r.host_id, r.flows_unknown);
    for (const [id, n] of parseFindings(r.findings)) {
      if (COVERED.has(id)) continue;
      const known = FINDING_TITLES[id];
      add(known?.title ?? `[${id}]`, r.host_id, n, known?.unit ?? "finding");
    }
  }
  return [...lines.values()].sort((a, b) => b.hosts.length - a.hosts.length || (b.count ?? 0) - (a.count ?? 0) || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
}

export interface FleetCounts {
  hosts: number;
  ok: number;
  partial: number;
  failed: number;
  flows: number;
  byPath: Record<(typeof FLEET_PATHS)[number], number>;
}

export function fleetCounts(rows: readonly HostRow[]): FleetCounts {
  const c: FleetCounts = { hosts: rows.length, ok: 0, partial: 0, failed: 0, flows: 0, byPath: { dnat: 0, "docker-proxy": 0, direct: 0, unknown: 0, forwarder: 0 } };
  for (const r of rows) {
    c[r.status]++;
    c.flows += r.flows ?? 0;
    c.byPath.dnat += r.flows_dnat ?? 0;
    c.byPath["docker-proxy"] += r.flows_docker_proxy ?? 0;
    c.byPath.direct += r.flows_direct ?? 0;
    c.byPath.unknown += r.flows_unknown ?? 0;
    c.byPath.forwarder += r.flows_forwarder ?? 0;
  }
  return c;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The summary text, rows in table order. */
export function renderSummary(rows: readonly HostRow[]): string {
  const c = fleetCounts(rows);
  let out = `natlens fleet summary: ${plural(c.hosts, "host")} (${c.ok} ok, ${c.partial} partial, ${c.failed} failed), ${plural(c.flows, "flow")}\n`;
  out += `\nfleet findings, by hosts touched\n`;
  const findings = fleetFindings(rows);
  if (findings.length === 0) out += "  (none)\n";
  for (const f of findings) {
    const more = f.hosts.length > EXAMPLES ? ", ..." : "";
    out += `  ${plural(f.hosts.length, "host")}${f.count !== null ? `, ${plural(f.count, f.unit)}` : ""}: ${f.title} (${f.hosts.length > 1 ? "e.g. " : ""}${f.hosts.slice(0, EXAMPLES).join(", ")}${more})\n`;
  }
  out += `\nflows by path over the fleet: ${FLEET_PATHS.filter((p) => p !== "forwarder" || c.byPath[p]).map((p) => `${p} ${c.byPath[p]}`).join(", ")}\n`;
  out += whatIfSection(rows);
  out += hostsByReason(rows, "failed", "no reason recorded");
  out += hostsByReason(rows, "partial", "some lines were skipped");
  return out;
}

/** Hosts listed under each reason in summary.txt; hosts.csv names them all. */
export const HOSTS_PER_REASON = 20;
/** Reasons listed per status; the rest are counted in one line. */
export const REASONS_LISTED = 10;

/**
 * The reason a failed or partial host is grouped under: the diagnostic code
 * its error ends with, bracketed as there (`[E_PROC_NET_ROW]`: the first
 * skipped line's, whatever the file and line), else the whole reason.
 */
export function reasonKey(error: string): string {
  const code = /\[[A-Z][A-Z0-9_]*\]$/.exec(error);
  return code ? code[0] : error;
}

/**
 * The failed or partial hosts, counted by reason (most hosts first, then by
 * reason), the first HOSTS_PER_REASON of each in table order with their own
 * error, and how many more hosts.csv lists: a fleet of a thousand stays a
 * page long.
 */
function hostsByReason(rows: readonly HostRow[], status: "failed" | "partial", none: string): string {
  const groups = new Map<string, HostRow[]>();
  for (const r of rows) {
    if (r.status !== status) continue;
    const key = reasonKey(r.error ?? none);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  if (groups.size === 0) return "";
  const total = [...groups.values()].reduce((n, g) => n + g.length, 0);
  const ranked = [...groups.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = `\n${status} hosts: ${total}, by reason (every one with its error in hosts.csv)\n`;
  for (const [reason, hosts] of ranked.slice(0, REASONS_LISTED)) {
    out += `  ${plural(hosts.length, "host")}: ${reason}\n`;
    for (const r of hosts.slice(0, HOSTS_PER_REASON)) {
      const error = r.error ?? none;
      out += `    ${r.host_id} (${r.input})${error === reason ? "" : `: ${error}`}\n`;
    }
    if (hosts.length > HOSTS_PER_REASON) out += `    ... and ${hosts.length - HOSTS_PER_REASON} more (see hosts.csv)\n`;
  }
  const rest = ranked.slice(REASONS_LISTED);
  if (rest.length) out += `  ... and ${plural(rest.reduce((n, [, g]) => n + g.length, 0), "host")} for ${plural(rest.length, "other reason")} (see hosts.csv)\n`;
  return out;
}

/** `batch --what-if`: which hosts can make the change (for userland-proxy=false: which hosts can drop docker-proxy). */
function whatIfSection(rows: readonly HostRow[]): string {
  const asked = rows.filter((r) => r.what_if_verdict !== null);
  if (asked.length === 0) return "";
  let out = "";
  for (const change of [...new Set(asked.map((r) => r.what_if_change!))].sort()) {
    const of = (v: string) => asked.filter((r) => r.what_if_change === change && r.what_if_verdict === v).map((r) => r.host_id);
    out += `\nwhat if ${change}, by host\n`;
    const list = (ids: string[]) => `${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", ..." : ""}`;
    const safe = of("safe");
    const same = of("no-change");
    const unknown = of("unknown");
    const breaks = asked.filter((r) => r.what_if_change === change && r.what_if_verdict === "breaks");
    if (safe.length) out += `  safe: ${plural(safe.length, "host")} (${list(safe)})\n`;
    if (breaks.length) out += `  flows would break: ${plural(breaks.length, "host")} (${breaks.slice(0, 10).map((r) => `${r.host_id}: ${r.what_if_causes}`).join("; ")}${breaks.length > 10 ? "; ..." : ""})\n`;
    if (unknown.length) out += `  cannot tell: ${plural(unknown.length, "host")} (${list(unknown)})\n`;
    if (same.length) out += `  already so: ${plural(same.length, "host")} (${list(same)})\n`;
  }
  return out;
}
