/** A port docker says is published, with no host socket listening on it. */
import type { Sock } from "../analyze/model.js";
import { ep } from "./_shared.js";
import type { FindingModule, Hit } from "./types.js";

export const meta = {
  id: "published-no-listener",
  severity: "warning",
  description: "a port docker inspect or docker ps says is published has no host socket listening on it (no docker-proxy, no dockerd placeholder), or its protocol's host socket table is not in the bundle to check",
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
  /** Published ports of a protocol whose host socket table the bundle lacks (`ss -tanp` alone: no UDP), by protocol. */
  const untold = new Map<string, { order: number; ports: string[]; containers: string[]; evidence: Hit["evidence"] }>();
  m.bindings.forEach((bnd, order) => {
    if (!bnd.from.has("inspect") && !bnd.from.has("docker-ps")) return;
    const fam = bnd.hostFamily;
    const at = `${ep(bnd.hostIp ?? (fam === 6 ? "::" : "0.0.0.0"), bnd.hostPort)}/${bnd.proto}`;
    if (!m.hostSocketProtos.has(bnd.proto)) {
      let u = untold.get(bnd.proto);
      if (!u) untold.set(bnd.proto, (u = { order, ports: [], containers: [], evidence: [] }));
      u.ports.push(at);
      if (bnd.container && !u.containers.includes(bnd.container)) u.containers.push(bnd.container);
      for (const e of bnd.evidence) if (u.evidence.length < 2 && !u.evidence.some((x) => x.file === e.file && x.line === e.line)) u.evidence.push(e);
      return;
    }
    const listening = (hostListen.get(bnd.hostPort) ?? []).some((s) => s.proto === bnd.proto && (fam === null || s.family === fam || s.localIp === "::"));
    if (listening) return;
    out.push({
      order,
      id: meta.id,
      severity: meta.severity,
      message: `${bnd.container ?? "a container"} publishes ${at} but no host socket listens on it (no docker-proxy or dockerd placeholder in the socket dumps)`,
      evidence: bnd.evidence.slice(0, 2),
    });
  });
  for (const [proto, u] of untold) {
    const list = u.ports.length > 4 ? [...u.ports.slice(0, 4), `${u.ports.length - 4} more`] : u.ports;
    const shown = list.length > 1 ? `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}` : list[0]!;
    const table = proto === "udp" ? "ss -uanp, netstat -uanp or /proc/net/udp*" : "ss -tanp, netstat -tanp or /proc/net/tcp*";
    out.push({
      order: u.order,
      id: meta.id,
      severity: meta.severity,
      message: `${u.containers.length ? u.containers.join(", ") : "a container"} ${u.containers.length > 1 ? "publish" : "publishes"} ${shown}, but the bundle has no ${proto.toUpperCase()} socket table of the host (${table}): whether a docker-proxy or dockerd placeholder listens on ${u.ports.length > 1 ? "them" : "it"} cannot be checked`,
      evidence: u.evidence,
    });
  }
  out.sort((a, b) => a.order - b.order);
  return out;
};
