/** A docker-proxy listener that relays connections: its clients' address is hidden from the container. */
import { ev } from "../analyze/model.js";
import { clientKinds, dnatedWording, ep, listenerUse } from "./_shared.js";
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "proxy-busy",
  severity: "info",
  description: "a docker-proxy listener relays connections, so the container sees the bridge gateway instead of those clients; other clients of the port may be DNATed",
  docs: "README.md#analyze-a-host",
} as const;

export const check: FindingModule["check"] = (m, flows) => {
  const out: Hit[] = [];
  for (const { listener: l, index, proxied, dnated, target } of listenerUse(m, flows)) {
    if (proxied.length === 0) continue;
    const w = dnated.length ? dnatedWording(dnated, target) : null;
    const rest = w
      ? `; the ${dnated.length} other ${clientKinds(dnated)} client${dnated.length > 1 ? "s" : ""} ${w.verb} ${w.to} by the kernel${w.failed}, so the host's socket table shows no docker-proxy connection for ${dnated.length > 1 ? "them" : "it"}`
      : "";
    out.push({
      order: index,
      id: meta.id,
      severity: meta.severity,
      message: `docker-proxy for ${ep(l.localIp, l.localPort)}${l.pid !== null ? ` (pid ${l.pid})` : ""} relays ${proxied.length} connection${proxied.length > 1 ? "s" : ""} from ${clientKinds(proxied)} clients, and ${proxied[0]!.container?.name ?? "the container"} sees the bridge gateway for these, not the client${rest}`,
      evidence: [ev(l.source, "docker-proxy listener"), ...proxied.slice(0, 2).flatMap((f) => f.evidence.slice(0, 2)), ...dnated.slice(0, 2).flatMap((f) => f.evidence.slice(0, 1))],
    });
  }
  return out;
};
