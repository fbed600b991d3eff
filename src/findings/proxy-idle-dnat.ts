/**
 * The answer to "why does netstat show docker-proxy listening but no
 * connections": every client of its port was DNATed by the kernel.
 */
import { ev } from "../analyze/model.js";
import { clientKinds, dnatedWording, ep, listenerUse } from "./_shared.js";
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "proxy-idle-dnat",
  severity: "info",
  description: "a docker-proxy listener has no connections because the kernel DNATed every client of its port (why netstat shows no docker-proxy connections)",
  docs: "README.md#analyze-a-host",
} as const;

export const check: FindingModule["check"] = (m, flows) => {
  const out: Hit[] = [];
  for (const { listener: l, index, proxied, dnated, target } of listenerUse(m, flows)) {
    if (proxied.length > 0 || dnated.length === 0) continue;
    const kinds = clientKinds(dnated);
    const n = dnated.length;
    const w = dnatedWording(dnated, target);
    const them = n > 1 ? "them" : "it";
    const why = w.proven
      ? `the kernel rewrote ${them} before any socket lookup, so the host's socket table never shows ${them}`
      : `only a conntrack entry would prove it; a DNATed connection is rewritten before any socket lookup, so the host's socket table would not show ${them}`;
    out.push({
      order: index,
      id: meta.id,
      severity: meta.severity,
      message: `docker-proxy for ${ep(l.localIp, l.localPort)}${l.pid !== null ? ` (pid ${l.pid})` : ""} has 0 connections: ${n > 1 ? `all ${n} ${kinds} clients` : `its 1 ${kinds} client`} ${w.verb} ${w.to}${w.failed}; ${why}`,
      evidence: [ev(l.source, "docker-proxy listener"), ...dnated.slice(0, 4).flatMap((f) => f.evidence.slice(0, 2))],
    });
  }
  return out;
};
