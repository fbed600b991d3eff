/**
 * Published ports learnt from docker-proxy's own sockets, for a bundle whose
 * socket table names owners (ss -p, netstat -p) but has no `ps` to give
 * docker-proxy's command line. One docker-proxy process serves one binding
 * (docker-paths §2.3): it listens on the published address and port, and
 * every connection it opens goes to the one container address and port.
 */
import type { BundleSocket } from "./bundle.js";
import { isDockerProxyName } from "./model-sockets.js";

export interface SocketProxy {
  pid: number;
  proto: string;
  /** The listener: the published address (0.0.0.0, ::, or one address) and port (never null here). */
  listener: BundleSocket;
  /** Where its connections go, when every one goes to the same place. */
  containerIp: string;
  containerPort: number;
}

const WILDCARD = new Set(["0.0.0.0", "::", "*"]);

/**
 * Each docker-proxy pid (not among `known`, the pids `ps` described) with one
 * listener and connections to one address and port: the binding it serves.
 * A pid with several listeners, or connections to several places, tells
 * nothing sure and is left out.
 */
export function proxiesFromSockets(sockets: readonly BundleSocket[], known: ReadonlySet<number>): SocketProxy[] {
  const byPid = new Map<number, BundleSocket[]>();
  for (const s of sockets) {
    if (s.pid === null || known.has(s.pid) || (s.netns !== null && s.netns !== "host") || !isDockerProxyName(s.program)) continue;
    let list = byPid.get(s.pid);
    if (!list) byPid.set(s.pid, (list = []));
    list.push(s);
  }
  const out: SocketProxy[] = [];
  for (const [pid, list] of byPid) {
    const listeners = list.filter((s) => s.state === "LISTEN" || (s.state === "UNCONN" && WILDCARD.has(s.remoteIp)));
    const ports = new Set(listeners.map((s) => `${s.proto}|${s.localIp}|${s.localPort}`));
    if (ports.size !== 1 || listeners[0]!.localPort === null) continue;
    const listener = listeners[0]!;
    // its own connections: not the listener, not one it accepted on the published port
    const targets = new Set<string>();
    let target: { ip: string; port: number } | null = null;
    for (const s of list) {
      if (s === listener || s.localPort === listener.localPort || s.remotePort === null || WILDCARD.has(s.remoteIp)) continue;
      targets.add(`${s.remoteIp}|${s.remotePort}`);
      target = { ip: s.remoteIp, port: s.remotePort };
    }
    if (targets.size !== 1 || !target) continue;
    out.push({ pid, proto: listener.proto, listener, containerIp: target.ip, containerPort: target.port });
  }
  return out;
}
