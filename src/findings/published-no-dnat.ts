/** A published IPv4 port with no DNAT rule: only docker-proxy can carry its connections. */
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "published-no-dnat",
  severity: "warning",
  description: "a port docker inspect or docker ps says is published has no DNAT rule in the saved rules, so only docker-proxy can carry its connections",
  docs: "README.md#trace-a-packet-through-the-saved-rules",
} as const;

export const check: FindingModule["check"] = (m) => {
  if (!m.present.rules) return [];
  const out: Hit[] = [];
  m.bindings.forEach((bnd, order) => {
    if (!bnd.from.has("inspect") && !bnd.from.has("docker-ps")) return;
    if (bnd.from.has("dnat-rule") || bnd.hostFamily === 6) return;
    out.push({
      order,
      id: meta.id,
      severity: meta.severity,
      message: `${bnd.container ?? "a container"} publishes ${bnd.hostPort}/${bnd.proto} but no DNAT rule for it was found: every connection to it goes through docker-proxy (or fails without it)`,
      evidence: bnd.evidence.slice(0, 2),
    });
  });
  return out;
};
