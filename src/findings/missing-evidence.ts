/** Each kind of evidence the bundle lacks, and what that costs the analysis. */
import { familyOf } from "../net/index.js";
import type { FindingModule } from "./types.js";

export const meta = {
  id: "missing-evidence",
  severity: "warning",
  description: "a kind of evidence is missing from the bundle (conntrack, socket owners, container socket tables, docker inspect, rules or some of their tables, ip addr) and what the analysis cannot prove without it",
  docs: "README.md#analyze-a-host",
} as const;

export const check: FindingModule["check"] = (m, flows) => {
  const missing: string[] = [];
  const noRules = m.firewall.value === "empty";
  if (!m.present.conntrack)
    missing.push(
      noRules
        ? "no conntrack entries: with no firewall rule loaded the kernel tracks no connection, so none are expected; the empty rule tables rule NAT out instead"
        : "no conntrack dump: NAT cannot be proven, paths are at best likely",
    );
  if (!m.present.socketOwners) missing.push("no socket owners (ss -p / netstat -p): docker-proxy legs cannot be told from direct host connections");
  if (!m.present.containerNetns) missing.push("no container socket tables (proc/<pid>/net/tcp*): the container side of every flow is unseen");
  if (!m.present.inspect) missing.push("no docker inspect: container names and published ports are inferred");
  // tables with no rule in them are evidence (nothing was NATed), not a gap
  if (!m.present.rules && !noRules) missing.push("no firewall rules: the rule engine cannot say why a flow was or was not NATed");
  // a dump of some tables only (`iptables -t nat -L`): what the missing tables do is unknown
  for (const family of [4, 6] as const) {
    if (!m.present.rules || !flows.some((f) => familyOf(f.client.ip) === family)) continue;
    const lost = m.tableCoverage.facts.filter((t) => t.family === family && t.state === "not-captured").map((t) => t.table);
    if (lost.length === 0) continue;
    missing.push(
      `the IPv${family} ${lost.length > 1 ? `${lost.slice(0, -1).join(", ")} and ${lost[lost.length - 1]}` : lost[0]} table${lost.length > 1 ? "s were" : " was"} not captured (no ${family === 6 ? "ip6tables-save" : "iptables-save"} or nft list ruleset of every table): what ${lost.length > 1 ? "they do" : "it does"} to a packet is unknown, and traces that pass ${lost.length > 1 ? "them" : "it"} say so`,
    );
  }
  if (m.localAddrsInferred) missing.push("no ip addr: the host's local addresses were inferred from gateways, host sockets and conntrack");
  return missing.map((message, order) => ({ order, id: meta.id, severity: meta.severity, message, evidence: [] }));
};
