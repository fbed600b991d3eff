/**
 * A DNAT rule to an address no container of the bundle has. Stale only when
 * the bundle would show that address: every container it names has its
 * addresses in it (docker inspect). A container named without them (`docker
 * ps` prints ports, not addresses) may hold the rule's target: the rule for a
 * port such a container publishes is that container's, and any other rule
 * cannot be checked, which the finding says instead of calling it stale.
 */
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "stale-dnat-rule",
  severity: "warning",
  description: "a DNAT rule sends a port to an address no container in the bundle has (every container inspected): a stale rule, or a container that was not inspected; or, with containers named without addresses (docker ps), to an address that cannot be checked",
  docs: "README.md#trace-a-packet-through-the-saved-rules",
} as const;

/** `a, b and 2 more`: a few names of a list. */
function someNames(names: readonly string[]): string {
  const shown = names.slice(0, 3);
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.length > 1 ? `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}` : (shown[0] ?? "");
}

export const check: FindingModule["check"] = (m) => {
  if (!m.containers.length) return [];
  // containers the bundle names without an address: docker ps, no docker inspect of them
  const unaddressed = m.containers.filter((c) => !c.hostNetwork && c.addrs.length === 0).map((c) => c.name);
  const out: Hit[] = [];
  m.bindings.forEach((bnd, order) => {
    if (!bnd.from.has("dnat-rule") || !bnd.containerIp || m.byIp.has(bnd.containerIp)) return;
    // the port is published by a container whose address the bundle does not hold: the rule is its own
    if (bnd.container && unaddressed.includes(bnd.container)) return;
    const evidence = bnd.evidence.filter((e) => e.note === "DNAT rule").slice(0, 2);
    const rule = `DNAT rule for port ${bnd.hostPort}/${bnd.proto} points to ${bnd.containerIp}`;
    const message = unaddressed.length
      ? `${rule}, which cannot be checked: ${someNames(unaddressed)} ${unaddressed.length > 1 ? "have" : "has"} no address in the bundle (docker ps, no docker inspect of ${unaddressed.length > 1 ? "them" : "it"}), and no container in it publishes port ${bnd.hostPort}/${bnd.proto}: a stale rule, or a container the bundle does not show`
      : `${rule}, which no container in the bundle has: a stale rule or a container not inspected`;
    out.push({ order, id: meta.id, severity: meta.severity, message, evidence });
  });
  return out;
};
