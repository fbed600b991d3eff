/** A DNAT rule to an address no container of the bundle has. */
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "stale-dnat-rule",
  severity: "warning",
  description: "a DNAT rule sends a port to an address no container in the bundle has: a stale rule, or a container that was not inspected",
  docs: "README.md#trace-a-packet-through-the-saved-rules",
} as const;

export const check: FindingModule["check"] = (m) => {
  if (!m.containers.length) return [];
  const out: Hit[] = [];
  m.bindings.forEach((bnd, order) => {
    if (!bnd.from.has("dnat-rule") || !bnd.containerIp || m.byIp.has(bnd.containerIp)) return;
    out.push({
      order,
      id: meta.id,
      severity: meta.severity,
      message: `DNAT rule for port ${bnd.hostPort}/${bnd.proto} points to ${bnd.containerIp}, which no container in the bundle has: a stale rule or a container not inspected`,
      evidence: bnd.evidence.filter((e) => e.note === "DNAT rule").slice(0, 2),
    });
  });
  return out;
};
