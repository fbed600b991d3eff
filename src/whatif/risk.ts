/**
 * What the capture does not show: published ports docker-proxy serves today
 * for clients no NAT rule would carry once it is gone (an IPv6 binding with no
 * IPv6 DNAT rule, `[::1]` on any IPv6 binding, every binding of a host without
 * NAT rules). The verdict names them, so "safe" never hides a port whose
 * clients simply were not connected when the bundle was taken. A family whose
 * nat table no dump shows gives none: its rules are unknown, not absent.
 */
import type { HostModel } from "../analyze/model.js";
import type { Flow } from "../analyze/flow-types.js";
import { endpoint } from "../net/index.js";
import type { Change } from "./derive.js";

export interface AtRisk {
  /** `[::]:5000/tcp`. */
  listener: string;
  container: string | null;
  /** Which clients, and why. */
  why: string;
}

export function listenersAtRisk(m: HostModel, flows: readonly Flow[], change: Change): AtRisk[] {
  if (change !== "userland-proxy=false" || m.userlandProxy.value === "off") return [];
  const out: AtRisk[] = [];
  const broken = new Set<string>();
  for (const f of flows) if (f.whatIf?.outcome === "breaks" && f.whatIf.today === "works" && f.published) broken.add(`${f.proto}|${f.published.port}|${f.published.ip.includes(":") ? 6 : 4}`);
  const dnat = (family: 4 | 6, proto: string, port: number) =>
    m.rules.some((r) => r.family === family && r.target === "DNAT" && r.nat?.addr && (r.matches.proto?.value ?? proto) === proto && r.matches.dport !== null && !r.matches.dport.negated && r.matches.dport.value.some((p) => p.from <= port && port <= p.to));
  // "no NAT rule" is evidence only where a dump shows the family's nat table (present or absent);
  // with no dump the verdict already says the rules are missing
  const natShown = (family: 4 | 6) => m.tableCoverage.state(family, "nat") !== "not-captured";
  for (const b of m.bindings) {
    const family = b.hostFamily ?? 4;
    if (!natShown(family)) continue;
    if (broken.has(`${b.proto}|${b.hostPort}|${family}`)) continue;
    const listener = `${endpoint(b.hostIp ?? (family === 6 ? "::" : "0.0.0.0"), b.hostPort)}/${b.proto}`;
    const c = b.containerIp ? m.byIp.get(b.containerIp)?.container : undefined;
    const name = b.container ?? c?.name ?? null;
    if (family === 6) {
      if (!dnat(6, b.proto, b.hostPort)) {
        const v6 = c ? c.addrs.some((a) => a.family === 6) : null;
        out.push({ listener, container: name, why: `IPv6 clients would be refused: no IPv6 NAT rule for the port${v6 === false ? ` (${name} has no IPv6 address)` : ""}` });
      } else if (b.hostIp === null || b.hostIp === "::1") out.push({ listener, container: name, why: "clients of [::1] would fail: IPv6 has no route_localnet" });
    } else if (!dnat(4, b.proto, b.hostPort)) out.push({ listener, container: name, why: "every client would fail: no NAT rule for the port, only docker-proxy serves it" });
  }
  return out;
}
