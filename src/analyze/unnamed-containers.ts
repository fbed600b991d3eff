/**
 * Containers known only by their address. A bundle without `docker inspect`
 * (a supportconfig, or just `iptables-save` and `ss`) still shows where
 * published ports lead: docker-proxy's `-container-ip`, a DNAT rule's target,
 * a conntrack entry DNATed to an address on a container bridge. Each such
 * address is taken for one container, named `<ADDRESS>` (no Docker name can
 * hold `<`), so that flows to it are attributed as flows to any container are.
 * IPv4 and IPv6 alike: the bridges are the host's (`ip addr`, `ip -6 addr`),
 * each with the subnets of both families it holds.
 *
 * Several such addresses are one container only when the bundle shows them
 * in one network namespace: a socket table whose path names its namespace
 * (`proc/<pid>/net/tcp6`, a sosreport `namespaces/NAME/` folder, `--netns
 * NAME=FILE`) holds sockets whose local addresses are each of them (a
 * dual-stack container's `tcp6` lists its IPv6 address and, on a dual-stack
 * socket, its IPv4 address mapped). The container is then named by all of
 * them, `<172.17.0.2 fd00:17::242:ac11:2>`, and an info diagnostic cites the
 * socket lines. Nothing else ties addresses together: not their likeness
 * (Docker's IPv6 address often ends in its IPv4 address), not the host's own
 * tables (docker-proxy's legs to both addresses are the host's sockets), not
 * an address seen as a socket's remote end. Nothing is made up when the
 * bundle names its containers.
 */
import type { Bundle } from "./bundle.js";
import { dnatRules } from "./fingerprint.js";
import type { ContainerInfo, HostModel } from "./model.js";
import type { SocketProxy } from "./proxy-sockets.js";
import { familyOf, inCidr, normalizeAddr } from "../net/index.js";
import type { Diagnostic, SourceRef } from "../types.js";

/** The name an address-only container is given: its addresses, IPv4 first, in angle brackets. */
export function unnamedContainerName(ips: readonly string[]): string {
  return `<${ips.join(" ")}>`;
}

/** Address-only containers, and an info diagnostic for each that holds several addresses (the evidence that ties them). */
export interface UnnamedContainers {
  containers: ContainerInfo[];
  notes: Diagnostic[];
}

/**
 * The candidate addresses each network namespace named by a socket table's
 * path holds as local addresses, each with its first socket line. The host's
 * tables (no namespace in the path) are left out: they hold the host's
 * addresses, and a container's only as the remote end of the host's sockets.
 */
function localAddressesByNamespace(b: Bundle, candidates: ReadonlyMap<string, SourceRef>): Map<string, Map<string, SourceRef>> {
  const byNetns = new Map<string, Map<string, SourceRef>>();
  for (const s of b.sockets) {
    if (s.netns === null || s.netns === "host" || !candidates.has(s.localIp)) continue;
    let local = byNetns.get(s.netns);
    if (!local) byNetns.set(s.netns, (local = new Map()));
    if (!local.has(s.localIp)) local.set(s.localIp, s.source);
  }
  return byNetns;
}

/** `pid:4503` -> "pid 4503's network namespace", `netns:web` -> "network namespace web". */
function namespaceText(netns: string): string {
  return netns.startsWith("pid:") ? `pid ${netns.slice(4)}'s network namespace` : `network namespace ${netns.replace(/^netns:/, "")}`;
}

export function unnamedContainers(b: Bundle, bridges: HostModel["bridges"], socketProxies: readonly SocketProxy[] = []): UnnamedContainers {
  if (b.containers.length > 0) return { containers: [], notes: [] };
  const found = new Map<string, SourceRef>();
  const onBridge = (ip: string) => bridges.find((br) => br.subnets.some((s) => inCidr(ip, s) === true));
  const add = (raw: string | null | undefined, source: SourceRef, needBridge: boolean) => {
    const ip = raw ? normalizeAddr(raw) : null;
    if (ip === null || found.has(ip)) return;
    if (needBridge && !onBridge(ip)) return;
    found.set(ip, source);
  };
  for (const p of b.processes) add(p.dockerProxy?.containerIp, p.source, false);
  for (const x of socketProxies) add(x.containerIp, x.listener.source, false);
  for (const r of dnatRules(b.rules)) add(r.nat?.addr, r.source, true);
  for (const c of b.conntrack) if (c.dnat) add(c.reply.src, c.source, true);

  // addresses one namespace holds are one container's: each address's group, shared by the group's members
  const groupOf = new Map<string, string[]>();
  for (const ip of found.keys()) groupOf.set(ip, [ip]);
  /** The namespaces that tied each group, with the socket line of each address. */
  const ties = new Map<string[], { netns: string; local: Map<string, SourceRef> }[]>();
  if (found.size > 1) {
    for (const [netns, local] of localAddressesByNamespace(b, found)) {
      if (local.size < 2) continue;
      const [first, ...rest] = [...local.keys()];
      const g = groupOf.get(first!)!;
      const why = ties.get(g) ?? [];
      for (const ip of rest) {
        const h = groupOf.get(ip)!;
        if (h === g) continue;
        g.push(...h);
        for (const x of h) groupOf.set(x, g);
        why.push(...(ties.get(h) ?? []));
        ties.delete(h);
      }
      why.push({ netns, local });
      ties.set(g, why);
    }
  }

  const containers: ContainerInfo[] = [];
  const notes: Diagnostic[] = [];
  const done = new Set<string[]>();
  for (const [ip, source] of found) {
    const group = groupOf.get(ip)!;
    if (done.has(group)) continue;
    done.add(group);
    // IPv4 first, each family in the order the addresses were found
    const ips = [...group].sort((x, y) => familyOf(x) - familyOf(y));
    const name = unnamedContainerName(ips);
    containers.push({
      name,
      id: "",
      pid: null,
      addrs: ips.map((a) => {
        const br = onBridge(a);
        const family = familyOf(a);
        return { ip: a, family, network: br?.network ?? br?.name ?? "", gateway: br?.gateways.find((g) => familyOf(g) === family) ?? null, bridge: br?.name ?? null };
      }),
      source,
      hostNetwork: false,
    });
    const why = ties.get(group);
    if (!why) continue;
    const cites = why.map(({ netns, local }) => `${namespaceText(netns)}: ${[...local].map(([a, s]) => `${a} at ${s.file}:${s.line}`).join(", ")}`);
    const at = why[0]!.local.values().next().value!;
    notes.push({
      severity: "info",
      code: "I_CONTAINER_ADDRESSES",
      file: at.file,
      line: at.line,
      message: `${ips.join(" and ")} are one container, ${name}: the sockets of a network namespace have them as their local addresses (${cites.join("; ")})`,
    });
  }
  return { containers, notes };
}
