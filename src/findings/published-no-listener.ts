/** A port docker says is published, with no host socket listening on it. */
import type { Sock } from "../analyze/model.js";
import { ep } from "./_shared.js";
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "published-no-listener",
  severity: "warning",
  description: "a port docker inspect or docker ps says is published has no host socket listening on it (no docker-proxy, no dockerd placeholder)",
  docs: "README.md#analyze-a-host",
} as const;

export const check: FindingModule["check"] = (m) => {
  if (!m.present.hostSockets) return [];
  // host listeners by port (a busy host has thousands, one per published port and family)
  const hostListen = new Map<number | null, Sock[]>();
  for (const s of m.sockets) {
    if (s.netns !== "host" || (s.state !== "LISTEN" && s.state !== "UNCONN")) continue;
    const list = hostListen.get(s.localPort);
    if (list) list.push(s);
    else hostListen.set(s.localPort, [s]);
  }
  const out: Hit[] = [];
  m.bindings.forEach((bnd, order) => {
    if (!bnd.from.has("inspect") && !bnd.from.has("docker-ps")) return;
    const fam = bnd.hostFamily;
    const listening = (hostListen.get(bnd.hostPort) ?? []).some((s) => s.proto === bnd.proto && (fam === null || s.family === fam || s.localIp === "::"));
    if (listening) return;
    out.push({
      order,
      id: meta.id,
      severity: meta.severity,
      message: `${bnd.container ?? "a container"} publishes ${ep(bnd.hostIp ?? (fam === 6 ? "::" : "0.0.0.0"), bnd.hostPort)}/${bnd.proto} but no host socket listens on it (no docker-proxy or dockerd placeholder in the socket dumps)`,
      evidence: bnd.evidence.slice(0, 2),
    });
  });
  return out;
};
