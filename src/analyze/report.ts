/**
 * The analysis report (`natlens/analysis@1`): host facts, containers, flows,
 * findings; and the findings themselves, each with its evidence.
 */
import { pickLines } from "../input/lines.js";
import type { Bundle } from "./bundle.js";
import { attribute, type Flow } from "./flows.js";
import { explainFlows } from "./explain.js";
import { collectGarbage } from "./memory.js";
import { buildModel, ev, isDockerProxyName, isDockerdName, type Evidence, type HostModel, type Sock } from "./model.js";
import type { Diagnostic, InputSummary } from "../types.js";
import { endpoint as ep } from "../net/index.js";

export const ANALYSIS_SCHEMA = "natlens/analysis@1";

export interface Finding {
  id: string;
  severity: "info" | "warning";
  message: string;
  evidence: Evidence[];
}

export interface Report {
  schema: typeof ANALYSIS_SCHEMA;
  host: {
    name: string | null;
    userlandProxy: "on" | "off" | "unknown";
    userlandProxyHow: string;
    firewallBackend: string;
    dockerVersion: string;
    dockerVersionHow: string;
    localAddresses: string[];
    localAddressesInferred: boolean;
    bridges: HostModel["bridges"];
    evidencePresent: HostModel["present"];
  };
  containers: { name: string; id: string; pid: number | null; addresses: { ip: string; network: string; gateway: string | null; bridge: string | null }[] }[];
  published: { proto: string; hostIp: string | null; hostPort: number; container: string | null; containerIp: string | null; containerPort: number; proxyPids: number[]; sources: string[] }[];
  flows: Flow[];
  findings: Finding[];
  counts: Record<string, number>;
  inputs: InputSummary[];
  diagnostics: Diagnostic[];
}


function findings(m: HostModel, flows: Flow[]): Finding[] {
  const out: Finding[] = [];
  // Userland proxy mode.
  out.push({
    id: "userland-proxy",
    severity: "info",
    message: `userland-proxy is ${m.userlandProxy.value}: ${m.userlandProxy.how}`,
    evidence: m.userlandProxy.evidence,
  });
  // Why netstat shows no connections to docker-proxy.
  const listeners = m.sockets.filter((s) => s.netns === "host" && s.state === "LISTEN" && isDockerProxyName(s.program));
  const seen = new Set<string>();
  // Flows by published port, in flow order: the per-listener filters below only look at flows of their port.
  const byPort = new Map<number | null, Flow[]>();
  for (const f of flows) {
    const port = f.published?.port;
    if (port === undefined) continue;
    const list = byPort.get(port);
    if (list) list.push(f);
    else byPort.set(port, [f]);
  }
  for (const l of listeners) {
    const key = `${l.proto}|${l.localIp}|${l.localPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ofPort = byPort.get(l.localPort) ?? [];
    const proxied = ofPort.filter((f) => f.path === "docker-proxy" && f.proxy?.pid === l.pid && f.outcome !== "closed");
    // A listener on :: also takes IPv4 clients only when it is dual-stack (docker-proxy <= 20.10.1); 0.0.0.0 never takes IPv6.
    const sameFamily = (ip: string) => (l.family === 4 ? !ip.includes(":") : ip.includes(":") || l.ssMapped);
    const dnated = ofPort.filter((f) => f.path === "dnat" && f.proto === l.proto && f.outcome !== "closed" && sameFamily(f.published!.ip));
    const target = dnated[0]?.container ?? proxied[0]?.container;
    const where = ep(l.localIp, l.localPort);
    if (proxied.length === 0 && dnated.length > 0) {
      const kinds = [...new Set(dnated.map((f) => f.client.kind))].join("/");
      out.push({
        id: "proxy-idle-dnat",
        severity: "info",
        message: `docker-proxy for ${where}${l.pid !== null ? ` (pid ${l.pid})` : ""} has 0 connections: ${dnated.length > 1 ? `all ${dnated.length} ${kinds} clients were` : `its 1 ${kinds} client was`} DNATed straight to ${target?.name ?? "the container"} (${ep(target?.ip ?? null, target?.port ?? null)}); the kernel rewrote ${dnated.length > 1 ? "them" : "it"} before any socket lookup, so the host's socket table never shows ${dnated.length > 1 ? "them" : "it"}`,
        evidence: [ev(l.source, "docker-proxy listener"), ...dnated.slice(0, 4).flatMap((f) => f.evidence.slice(0, 2))],
      });
    } else if (proxied.length > 0) {
      const rest = dnated.length
        ? `; the ${dnated.length} other ${[...new Set(dnated.map((f) => f.client.kind))].join("/")} client${dnated.length > 1 ? "s were" : " was"} DNATed straight to ${target?.name ?? "the container"} (${ep(target?.ip ?? null, target?.port ?? null)}) by the kernel, so the host's socket table shows no docker-proxy connection for ${dnated.length > 1 ? "them" : "it"}`
        : "";
      out.push({
        id: "proxy-busy",
        severity: "info",
        message: `docker-proxy for ${where}${l.pid !== null ? ` (pid ${l.pid})` : ""} relays ${proxied.length} connection${proxied.length > 1 ? "s" : ""} from ${[...new Set(proxied.map((f) => f.client.kind))].join("/")} clients, and ${proxied[0]!.container?.name ?? "the container"} sees the bridge gateway for these, not the client${rest}`,
        evidence: [ev(l.source, "docker-proxy listener"), ...proxied.slice(0, 2).flatMap((f) => f.evidence.slice(0, 2)), ...dnated.slice(0, 2).flatMap((f) => f.evidence.slice(0, 1))],
      });
    }
  }
  const placeholders = m.sockets.filter((s) => s.netns === "host" && s.state === "LISTEN" && isDockerdName(s.program));
  if (placeholders.length) {
    out.push({
      id: "dockerd-placeholders",
      severity: "info",
      message: `dockerd itself holds ${placeholders.length} published-port listener${placeholders.length > 1 ? "s" : ""} (${placeholders.map((s) => ep(s.localIp, s.localPort)).join(", ")}): with userland-proxy off they only reserve the port; every connection is NATed to the container, so netstat shows no connections on them`,
      evidence: placeholders.slice(0, 4).map((s) => ev(s.source, "placeholder listener")),
    });
  }
  // Published ports without a listener or without a DNAT rule.
  // host listeners by port (a busy host has thousands, one per published port and family)
  const hostListen = new Map<number | null, Sock[]>();
  for (const s of m.sockets) {
    if (s.netns !== "host" || (s.state !== "LISTEN" && s.state !== "UNCONN")) continue;
    const list = hostListen.get(s.localPort);
    if (list) list.push(s);
    else hostListen.set(s.localPort, [s]);
  }
  for (const bnd of m.bindings) {
    if (!bnd.from.has("inspect") && !bnd.from.has("docker-ps")) continue;
    const fam = bnd.hostFamily;
    const listening = (hostListen.get(bnd.hostPort) ?? []).some((s) => s.proto === bnd.proto && (fam === null || s.family === fam || s.localIp === "::"));
    if (m.present.hostSockets && !listening) {
      out.push({
        id: "published-no-listener",
        severity: "warning",
        message: `${bnd.container ?? "a container"} publishes ${ep(bnd.hostIp ?? (fam === 6 ? "::" : "0.0.0.0"), bnd.hostPort)}/${bnd.proto} but no host socket listens on it (no docker-proxy or dockerd placeholder in the socket dumps)`,
        evidence: bnd.evidence.slice(0, 2),
      });
    }
    if (m.present.rules && !bnd.from.has("dnat-rule") && fam !== 6) {
      out.push({
        id: "published-no-dnat",
        severity: "warning",
        message: `${bnd.container ?? "a container"} publishes ${bnd.hostPort}/${bnd.proto} but no DNAT rule for it was found: every connection to it goes through docker-proxy (or fails without it)`,
        evidence: bnd.evidence.slice(0, 2),
      });
    }
  }
  // Stale DNAT rules: to addresses no container has.
  if (m.containers.length) {
    for (const bnd of m.bindings) {
      if (bnd.from.has("dnat-rule") && bnd.containerIp && !m.byIp.has(bnd.containerIp)) {
        out.push({
          id: "stale-dnat-rule",
          severity: "warning",
          message: `DNAT rule for port ${bnd.hostPort}/${bnd.proto} points to ${bnd.containerIp}, which no container in the bundle has: a stale rule or a container not inspected`,
          evidence: bnd.evidence.filter((e) => e.note === "DNAT rule").slice(0, 2),
        });
      }
    }
  }
  // Missing evidence and what it costs.
  const missing: string[] = [];
  if (!m.present.conntrack) missing.push("no conntrack dump: NAT cannot be proven, paths are at best likely");
  if (!m.present.socketOwners) missing.push("no socket owners (ss -p / netstat -p): docker-proxy legs cannot be told from direct host connections");
  if (!m.present.containerNetns) missing.push("no container socket tables (proc/<pid>/net/tcp*): the container side of every flow is unseen");
  if (!m.present.inspect) missing.push("no docker inspect: container names and published ports are inferred");
  if (!m.present.rules) missing.push("no firewall rules: the rule engine cannot say why a flow was or was not NATed");
  if (m.localAddrsInferred) missing.push("no ip addr: the host's local addresses were inferred from gateways, listeners and conntrack");
  for (const text of missing) out.push({ id: "missing-evidence", severity: "warning", message: text, evidence: [] });
  return out;
}

/** Fill `text` of evidence from the input files: each file is read once, keeping only the cited lines. */
function resolveEvidenceText(report: Report): void {
  const byFile = new Map<string, Evidence[]>();
  const want = (e: Evidence) => {
    if (e.text !== undefined) return;
    const list = byFile.get(e.file);
    if (list) list.push(e);
    else byFile.set(e.file, [e]);
  };
  for (const f of report.flows) for (const e of f.evidence) want(e);
  for (const f of report.findings) for (const e of f.evidence) want(e);
  for (const [file, cited] of byFile) {
    let picked: Map<number, string>;
    try {
      picked = pickLines(
        file,
        cited.map((e) => e.line),
      );
    } catch {
      continue;
    }
    const shown = new Map<number, string>();
    for (const e of cited) {
      let t = shown.get(e.line);
      if (t === undefined) {
        const raw = picked.get(e.line);
        if (raw === undefined) continue;
        const trimmed = raw.trim();
        // ASCII "...": one non-Latin-1 character makes V8 build the whole flow's JSON in two-byte form
        shown.set(e.line, (t = trimmed.length > 240 ? `${trimmed.slice(0, 240)}...` : trimmed));
      }
      e.text = t;
    }
  }
}

/**
 * `release`: the caller is done with the bundle; its socket, conntrack and
 * process records are dropped once the model holds what analysis needs, and
 * memory is collected between the phases (memory.ts).
 */
export function analyzeBundle(b: Bundle, opts: { release?: boolean } = {}): Report {
  const m = buildModel(b);
  if (opts.release) {
    b.sockets = [];
    b.conntrack = [];
    b.processes = [];
    collectGarbage(); // the socket records, merged into the model
  }
  const flows = attribute(m);
  explainFlows(b, m, flows);
  if (opts.release) collectGarbage(); // the attributor's and the explainer's indexes
  const counts: Record<string, number> = {};
  for (const f of flows) counts[f.outcome === "open" ? f.pathDetail : `${f.pathDetail} (${f.outcome})`] = (counts[f.outcome === "open" ? f.pathDetail : `${f.pathDetail} (${f.outcome})`] ?? 0) + 1;
  const report: Report = {
    schema: ANALYSIS_SCHEMA,
    host: {
      name: m.name,
      userlandProxy: m.userlandProxy.value,
      userlandProxyHow: m.userlandProxy.how,
      firewallBackend: m.firewallBackend.value,
      dockerVersion: m.dockerVersion.value,
      dockerVersionHow: m.dockerVersion.how,
      localAddresses: [...m.localAddrs].sort(),
      localAddressesInferred: m.localAddrsInferred,
      bridges: m.bridges,
      evidencePresent: m.present,
    },
    containers: m.containers.map((c) => ({ name: c.name, id: c.id, pid: c.pid, addresses: c.addrs.map((a) => ({ ip: a.ip, network: a.network, gateway: a.gateway, bridge: a.bridge })) })),
    published: m.bindings.map((x) => ({
      proto: x.proto,
      hostIp: x.hostIp,
      hostPort: x.hostPort,
      container: x.container,
      containerIp: x.containerIp,
      containerPort: x.containerPort,
      proxyPids: x.proxyPids,
      sources: [...x.from],
    })),
    flows,
    findings: findings(m, flows),
    counts,
    inputs: b.inputs,
    diagnostics: b.diagnostics,
  };
  resolveEvidenceText(report);
  return report;
}
