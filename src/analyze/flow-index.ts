/**
 * The attribution's indexes over the host model: sockets, bindings and
 * conntrack entries by the keys the passes look them up by, so that no
 * per-flow step scans every socket, binding or conntrack entry. Lookups only;
 * the attribution state (which legs are used) lives in flow-core.ts.
 */
import { bridgeOf, isDockerProxyName, isLocal, type Binding, type ContainerInfo, type HostModel, type Sock } from "./model.js";
import type { BundleConntrack } from "./bundle.js";
import { familyOf } from "../net/index.js";
import { TupleMap } from "./tuple-map.js";
import { protoPortCode } from "./model-sockets.js";
import type { ClientKind, Endpoint } from "./flow-types.js";

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The lists of several index keys merged back into their original order (`order()` gives each item's position; built only when needed). */
function merged<V>(lists: (V[] | undefined)[], order: () => Map<V, number>): V[] {
  const present = lists.filter((l): l is V[] => !!l && l.length > 0);
  if (present.length === 0) return [];
  if (present.length === 1) return present[0]!;
  const pos = order();
  return present.flat().sort((a, b) => pos.get(a)! - pos.get(b)!);
}

export class FlowIndex {
  /*
   * Indexes, so that no per-flow step scans every socket, binding or conntrack
   * entry. Every list keeps the order of m.sockets / m.bindings / m.ct.originals(),
   * so a lookup followed by the rest of the original predicate gives the same
   * first match (or the same filtered list) as the full scan. The ones only
   * rare paths need are built on first use.
   */
  /** Sockets by (proto, local end, remote end), in any netns. */
  private readonly byLocal = new TupleMap<Sock>();
  /** The other sockets of a tuple that several netns list, by the first one (the one byLocal holds): rare, so no list per socket. */
  private readonly byLocalMore = new Map<Sock, Sock[]>();

  /** `container:<name>` -> the first container of that name. */
  private readonly netnsContainer = new Map<string, ContainerInfo>();

  /**
   * Host sockets that are neither LISTEN nor UNCONN, by protoPortCode(proto, localPort).
   * Socket indexes are keyed by numbers (a Sock's proto is tcp or udp), not by a text built per socket.
   */
  private readonly hostConnByLocalPort = new Map<number, Sock[]>();

  /** Bindings by proto|hostPort. */
  private readonly bindingsByHostPort = new Map<string, Binding[]>();

  /** Bindings by containerIp|containerPort. */
  private readonly bindingsByContainer = new Map<string, Binding[]>();

  private lazy: {
    /** Position of each socket in m.sockets. */
    sockOrder?: Map<Sock, number>;
    /** Host sockets by protoPortCode(proto, localPort). */
    hostByLocalPort?: Map<number, Sock[]>;
    /** Sockets by netns, then protoPortCode(proto, localPort). */
    byNetnsLocalPort?: Map<string, Map<number, Sock[]>>;
    /** Sockets by localIp, then protoPortCode(proto, localPort). */
    byLocalEnd?: Map<string, Map<number, Sock[]>>;
    /** Sockets by protoPortCode(proto, remotePort). */
    byRemotePort?: Map<number, Sock[]>;
    /** Conntrack entries of m.ct.originals() (in its order) by proto|original dport, and their positions. */
    ctByOrigDport?: Map<string, BundleConntrack[]>;
    ctOrder?: Map<BundleConntrack, number>;
  } = {};

  constructor(private readonly m: HostModel) {
    for (const s of m.sockets) {
      const first = this.byLocal.add(s.proto, s.localIp, s.localPort, s.remoteIp, s.remotePort, s);
      if (first !== s) push(this.byLocalMore, first, s);
      if (s.netns === "host" && s.state !== "LISTEN" && s.state !== "UNCONN") push(this.hostConnByLocalPort, protoPortCode(s.proto, s.localPort), s);
    }
    for (const c of m.containers) if (!this.netnsContainer.has(`container:${c.name}`)) this.netnsContainer.set(`container:${c.name}`, c);
    for (const b of m.bindings) {
      push(this.bindingsByHostPort, `${b.proto}|${b.hostPort}`, b);
      push(this.bindingsByContainer, `${b.containerIp}|${b.containerPort}`, b);
    }
  }

  /** Sockets by protoPortCode of `port(s)`, within the group `group(s)` names (null: left out). */
  private socketIndex(group: (s: Sock) => string | null, port: (s: Sock) => number | null): Map<string, Map<number, Sock[]>> {
    const map = new Map<string, Map<number, Sock[]>>();
    for (const s of this.m.sockets) {
      const g = group(s);
      if (g === null) continue;
      let inner = map.get(g);
      if (!inner) map.set(g, (inner = new Map()));
      push(inner, protoPortCode(s.proto, port(s)), s);
    }
    return map;
  }

  get sockOrder(): Map<Sock, number> {
    return (this.lazy.sockOrder ??= new Map(this.m.sockets.map((s, i) => [s, i])));
  }

  /** Host sockets (any state) with this local port, in m.sockets order. */
  hostOnPort(proto: string, port: number | null): Sock[] {
    this.lazy.hostByLocalPort ??= this.socketIndex((s) => (s.netns === "host" ? "" : null), (s) => s.localPort).get("") ?? new Map();
    return this.lazy.hostByLocalPort.get(protoPortCode(proto, port)) ?? [];
  }

  /** Sockets of network namespace `netns` with this local port, in m.sockets order. */
  inNetnsOnPort(netns: string, proto: string, port: number | null): Sock[] {
    this.lazy.byNetnsLocalPort ??= this.socketIndex((s) => s.netns, (s) => s.localPort);
    return this.lazy.byNetnsLocalPort.get(netns)?.get(protoPortCode(proto, port)) ?? [];
  }

  /** Sockets (in any netns) whose local end is ip:port, in m.sockets order. */
  withLocalEnd(proto: string, ip: string, port: number | null): Sock[] {
    this.lazy.byLocalEnd ??= this.socketIndex((s) => s.localIp, (s) => s.localPort);
    return this.lazy.byLocalEnd.get(ip)?.get(protoPortCode(proto, port)) ?? [];
  }

  private get byRemotePort(): Map<number, Sock[]> {
    return (this.lazy.byRemotePort ??= this.socketIndex(() => "", (s) => s.remotePort).get("") ?? new Map());
  }

  /** Conntrack entries by (proto, original destination port), and each entry's position in the dump. */
  private ctIndex(): { byOrigDport: Map<string, BundleConntrack[]>; order: Map<BundleConntrack, number> } {
    if (!this.lazy.ctByOrigDport || !this.lazy.ctOrder) {
      const map = new Map<string, BundleConntrack[]>();
      const order = new Map<BundleConntrack, number>();
      let i = 0;
      for (const c of this.m.ct.originals()) {
        if (!order.has(c)) order.set(c, i++);
        push(map, `${c.proto}|${c.original.dport}`, c);
      }
      this.lazy.ctByOrigDport = map;
      this.lazy.ctOrder = order;
    }
    return { byOrigDport: this.lazy.ctByOrigDport, order: this.lazy.ctOrder };
  }

  get ctByOrigDport(): Map<string, BundleConntrack[]> {
    return this.ctIndex().byOrigDport;
  }

  get ctOrder(): Map<BundleConntrack, number> {
    return this.ctIndex().order;
  }

  /** Sockets (in any netns, or one) whose local end is `l` and remote end is `r`. */
  find(proto: string, l: Endpoint, r: Endpoint, netns?: string): Sock[] {
    const first = this.byLocal.get(proto, l.ip, l.port, r.ip, r.port);
    if (first === undefined) return [];
    const more = this.byLocalMore.get(first);
    const list = more ? [first, ...more] : [first];
    return netns ? list.filter((s) => s.netns === netns) : list;
  }

  containerOfNetns(netns: string): ContainerInfo | undefined {
    return netns.startsWith("container:") ? this.netnsContainer.get(netns) : undefined;
  }

  clientKind(ip: string, netnsHint?: string): { kind: ClientKind; container: string | null } {
    const c = this.m.byIp.get(ip);
    if (c) return { kind: "container", container: c.container.name };
    if (netnsHint?.startsWith("container:")) return { kind: "container", container: netnsHint.slice("container:".length) };
    if (isLocal(this.m, ip)) return { kind: "host", container: null };
    const br = bridgeOf(this.m, ip);
    // a bridge learnt from its masquerade rule has no known gateway: the address may be the host's
    if (br) return { kind: br.gateways.length ? "container" : "unknown", container: null };
    // no ip addr and no bridge known (a socket table alone): an address that is not the host's may
    // still be a container's on a bridge the bundle does not show
    if (this.m.bridges.length === 0 && this.m.localAddrsInferred) return { kind: "unknown", container: null };
    return { kind: "external", container: null };
  }

  bindingFor(proto: string, hostIp: string, hostPort: number | null): Binding | undefined {
    const fam = familyOf(hostIp);
    const list = this.bindingsByHostPort.get(`${proto}|${hostPort}`);
    if (!list) return undefined;
    return list.find((b) => b.hostIp === hostIp) ?? list.find((b) => b.hostIp === null && (b.hostFamily === null || b.hostFamily === fam)) ?? list.find((b) => b.hostIp === null);
  }

  /**
   * The binding of a DNAT rule of the address's own family for this port: an
   * IPv6 packet is DNATed only by an ip6tables (nft ip6) rule, never by an IPv4
   * one (docker-paths §3, rows 8 and 8b).
   */
  dnatRuleFor(proto: string, hostIp: string, hostPort: number | null): Binding | undefined {
    const fam = familyOf(hostIp);
    return this.bindingsByHostPort.get(`${proto}|${hostPort}`)?.find((b) => b.from.has("dnat-rule") && b.hostFamily === fam && (b.hostIp === null || b.hostIp === hostIp));
  }

  isProxySock(s: Sock): boolean | null {
    if (s.pid === null && !s.program) return null;
    if (isDockerProxyName(s.program)) return true;
    const p = s.pid !== null ? this.m.processes.get(s.pid) : undefined;
    if (p?.dockerProxy) return true;
    return false;
  }

  sameBridge(ip: string, c: ContainerInfo): boolean {
    const b = bridgeOf(this.m, ip);
    return !!b && c.addrs.some((a) => b.subnets.some((sn) => bridgeOf(this.m, a.ip) === b && sn));
  }

  bindingsForContainer(ip: string, port: number | null): Binding[] {
    if (port === null) return [];
    return this.bindingsByContainer.get(`${ip}|${port}`) ?? [];
  }

  /** docker-proxy frontends (accepted sockets on a proxied host port) for a container port. */
  frontendsFor(proto: string, cip: string, cport: number | null): Sock[] {
    const ports = new Set(this.bindingsForContainer(cip, cport).map((b) => b.hostPort));
    const socks = merged(
      [...ports].map((p) => this.hostConnByLocalPort.get(protoPortCode(proto, p))),
      () => this.sockOrder,
    );
    return socks.filter((s) => isLocal(this.m, s.localIp) && this.isProxySock(s) !== false && s.remotePort !== null);
  }

  /** Entries of m.ct.originals() (in its order) with this proto and an original dport in `ports`. */
  ctWithDport(proto: string, ports: Set<number>): BundleConntrack[] {
    return merged(
      [...ports].map((p) => this.ctByOrigDport.get(`${proto}|${p}`)),
      () => this.ctOrder,
    );
  }

  /** Sockets (in m.sockets order) with this proto and a remote port in `ports`. */
  socketsToPorts(proto: string, ports: Set<number>): Sock[] {
    return merged(
      [...ports].map((p) => this.byRemotePort.get(protoPortCode(proto, p))),
      () => this.sockOrder,
    );
  }
}
