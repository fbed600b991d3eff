/** Pieces more than one finding needs. */
import type { Flow } from "../analyze/flow-types.js";
import { isDockerProxyName, type HostModel, type Sock } from "../analyze/model.js";

import { endpoint, familyOf } from "../net/index.js";

export { endpoint as ep } from "../net/index.js";
const ep = endpoint;

/** The host's docker-proxy listeners, one per (proto, address, port), in socket order. */
export function proxyListeners(m: HostModel): Sock[] {
  const seen = new Set<string>();
  const out: Sock[] = [];
  for (const s of m.sockets) {
    if (s.netns !== "host" || s.state !== "LISTEN" || !isDockerProxyName(s.program)) continue;
    const key = `${s.proto}|${s.localIp}|${s.localPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

/** What one docker-proxy listener did: the flows it relayed, the flows of its port the kernel DNATed instead. */
export interface ListenerUse {
  listener: Sock;
  /** Position among proxyListeners(): a finding's `order`. */
  index: number;
  proxied: Flow[];
  dnated: Flow[];
  target: Flow["container"];
}

export function listenerUse(m: HostModel, flows: readonly Flow[]): ListenerUse[] {
  // Flows by published port, in flow order: each listener looks only at the flows of its port.
  const byPort = new Map<number | null, Flow[]>();
  for (const f of flows) {
    const port = f.published?.port;
    if (port === undefined) continue;
    const list = byPort.get(port);
    if (list) list.push(f);
    else byPort.set(port, [f]);
  }
  return proxyListeners(m).map((l, index) => {
    const ofPort = byPort.get(l.localPort) ?? [];
    const proxied = ofPort.filter((f) => f.path === "docker-proxy" && f.proxy?.pid === l.pid && f.outcome !== "closed");
    // A listener on :: also takes IPv4 clients only when it is dual-stack (docker-proxy <= 20.10.1); 0.0.0.0 never takes IPv6.
    const sameFamily = (ip: string) => (l.family === 4 ? familyOf(ip) === 4 : familyOf(ip) === 6 || l.ssMapped);
    const dnated = ofPort.filter((f) => f.path === "dnat" && f.proto === l.proto && f.outcome !== "closed" && sameFamily(f.published!.ip));
    return { listener: l, index, proxied, dnated, target: dnated[0]?.container ?? proxied[0]?.container ?? null };
  });
}

/** `external/host` etc.: the kinds of the flows' clients, in first-seen order. */
export function clientKinds(flows: readonly Flow[]): string {
  return [...new Set(flows.map((f) => f.client.kind))].join("/");
}

/**
 * How a listener's finding says that `dnated` (flows of its port on the path
 * `dnat`) were DNATed: as sure as the least sure of them (`certain`: DNATed
 * straight to; `likely`: most likely DNATed to; `possible`: may have been
 * DNATed to), and whether they connected at all. `verb` agrees with the
 * number of flows; `proven` is false when a flow is not `certain`.
 */
export function dnatedWording(dnated: readonly Flow[], target: Flow["container"]): { verb: string; to: string; failed: string; proven: boolean } {
  const n = dnated.length;
  const least = dnated.some((f) => f.confidence === "possible") ? "possible" : dnated.some((f) => f.confidence === "likely") ? "likely" : "certain";
  const verb = least === "certain" ? `${n > 1 ? "were" : "was"} DNATed straight to` : least === "likely" ? `${n > 1 ? "were" : "was"} most likely DNATed to` : "may have been DNATed to";
  const nFailed = dnated.filter((f) => f.outcome === "failed").length;
  const failed = nFailed === 0 ? "" : nFailed === n ? (n > 1 ? ", but none of them ever connected" : ", but it never connected") : `, but ${nFailed} of them never connected`;
  return { verb, to: `${target?.name ?? "the container"} (${ep(target?.ip ?? null, target?.port ?? null)})`, failed, proven: least === "certain" };
}
