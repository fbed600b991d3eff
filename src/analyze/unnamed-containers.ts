/**
 * Containers known only by their address. A bundle without `docker inspect`
 * (a supportconfig, or just `iptables-save` and `ss`) still shows where
 * published ports lead: docker-proxy's `-container-ip`, a DNAT rule's target,
 * a conntrack entry DNATed to an address on a container bridge. Each such
 * address is taken for one container, named `<ADDRESS>` (no Docker name can
 * hold `<`), so that flows to it are attributed as flows to any container are.
 * IPv4 and IPv6 alike: the bridges are the host's (`ip addr`, `ip -6 addr`),
 * each with the subnets of both families it holds. A container with both an
 * IPv4 and an IPv6 address is two such containers: nothing without inspect
 * ties the two together. Nothing is made up when the bundle names its
 * containers.
 */
import type { Bundle } from "./bundle.js";
import { dnatRules } from "./fingerprint.js";
import type { ContainerInfo, HostModel } from "./model.js";
import { familyOf, inCidr, normalizeAddr } from "../net/index.js";
import type { SourceRef } from "../types.js";

/** The name an address-only container is given. */
export function unnamedContainerName(ip: string): string {
  return `<${ip}>`;
}

export function unnamedContainers(b: Bundle, bridges: HostModel["bridges"]): ContainerInfo[] {
  if (b.containers.length > 0) return [];
  const found = new Map<string, SourceRef>();
  const onBridge = (ip: string) => bridges.find((br) => br.subnets.some((s) => inCidr(ip, s) === true));
  const add = (raw: string | null | undefined, source: SourceRef, needBridge: boolean) => {
    const ip = raw ? normalizeAddr(raw) : null;
    if (ip === null || found.has(ip)) return;
    if (needBridge && !onBridge(ip)) return;
    found.set(ip, source);
  };
  for (const p of b.processes) add(p.dockerProxy?.containerIp, p.source, false);
  for (const r of dnatRules(b.rules)) add(r.nat?.addr, r.source, true);
  for (const c of b.conntrack) if (c.dnat) add(c.reply.src, c.source, true);
  const out: ContainerInfo[] = [];
  for (const [ip, source] of found) {
    const br = onBridge(ip);
    const family = familyOf(ip);
    out.push({
      name: unnamedContainerName(ip),
      id: "",
      pid: null,
      addrs: [{ ip, family, network: br?.network ?? br?.name ?? "", gateway: br?.gateways.find((g) => familyOf(g) === family) ?? null, bridge: br?.name ?? null }],
      source,
      hostNetwork: false,
    });
  }
  return out;
}
