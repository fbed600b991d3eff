/**
 * Attribution: merge every socket and conntrack entry that touches a
 * container or a published port into flows, one per real connection, and
 * decide each flow's path with the evidence behind it (docker-paths.md §4.5).
 *
 * Order of proof: a conntrack entry whose reply tuple is the container's
 * socket makes NAT certain; socket ownership by docker-proxy makes the proxy
 * path certain; without those, socket patterns give "likely" or "possible".
 */
import {
  bridgeOf,
  ev,
  isDockerProxyName,
  isLocal,
  type Binding,
  type ContainerInfo,
  type Evidence,
  type HostModel,
  type Sock,
} from "./model.js";
import type { ConntrackRecord } from "../types.js";
import { endpoint, familyOf, isLoopback } from "../net/index.js";
import { TupleMap } from "./tuple-map.js";
import type { ClientKind, Endpoint, Flow, PathDetail } from "./flow-types.js";

export type { ClientKind, Confidence, Endpoint, Flow, Path, PathDetail } from "./flow-types.js";

const OPEN_STATES = new Set(["ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT1", "FIN_WAIT2", "LAST_ACK", "CLOSING", "SYN_RECV"]);

function sockEv(s: Sock, note: string): Evidence {
  return ev(s.source, note);
}

function ctEv(c: ConntrackRecord, note: string): Evidence {
  return ev(c.source, note);
}

function ep(ip: string, port: number | null): Endpoint {
  return { ip, port };
}

function fmt(e: Endpoint | null): string {
  return e ? endpoint(e.ip, e.port) : "?";
}

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

export class Attributor {
  readonly flows: Flow[] = [];
  private readonly used = new Set<Sock | ConntrackRecord>();
  /** The sockets and entries each flow already cites (a handful per flow). */
  private readonly legs = new Map<Flow, (Sock | ConntrackRecord)[]>();
  /*
   * Indexes, so that no per-flow step scans every socket, binding or conntrack
   * entry. Every list keeps the order of m.sockets / m.bindings / m.ct.originals(),
   * so a lookup followed by the rest of the original predicate gives the same
   * first match (or the same filtered list) as the full scan. The ones only
   * rare paths need are built on first use.
   */
  /** Sockets by (proto, local end, remote end), in any netns. */
  private readonly byLocal = new TupleMap<Sock[]>();
  /** `container:<name>` -> the first container of that name. */
  private readonly netnsContainer = new Map<string, ContainerInfo>();
  /** Host sockets that are neither LISTEN nor UNCONN, by proto|localPort. */
  private readonly hostConnByLocalPort = new Map<string, Sock[]>();
  /** Bindings by proto|hostPort. */
  private readonly bindingsByHostPort = new Map<string, Binding[]>();
  /** Bindings by containerIp|containerPort. */
  private readonly bindingsByContainer = new Map<string, Binding[]>();
  private lazy: {
    /** Position of each socket in m.sockets. */
    sockOrder?: Map<Sock, number>;
    /** Host sockets by proto|localPort. */
    hostByLocalPort?: Map<string, Sock[]>;
    /** Sockets by netns|proto|localPort. */
    byNetnsLocalPort?: Map<string, Sock[]>;
    /** Sockets by proto|localIp|localPort. */
    byLocalEnd?: Map<string, Sock[]>;
    /** Sockets by proto|remotePort. */
    byRemotePort?: Map<string, Sock[]>;
    /** Conntrack entries of m.ct.originals() (in its order) by proto|original dport, and their positions. */
    ctByOrigDport?: Map<string, ConntrackRecord[]>;
    ctOrder?: Map<ConntrackRecord, number>;
  } = {};

  constructor(private readonly m: HostModel) {
    for (const s of m.sockets) {
      const same = this.byLocal.get(s.proto, s.localIp, s.localPort, s.remoteIp, s.remotePort);
      if (same) same.push(s);
      else this.byLocal.add(s.proto, s.localIp, s.localPort, s.remoteIp, s.remotePort, [s]);
      if (s.netns === "host" && s.state !== "LISTEN" && s.state !== "UNCONN") push(this.hostConnByLocalPort, `${s.proto}|${s.localPort}`, s);
    }
    for (const c of m.containers) if (!this.netnsContainer.has(`container:${c.name}`)) this.netnsContainer.set(`container:${c.name}`, c);
    for (const b of m.bindings) {
      push(this.bindingsByHostPort, `${b.proto}|${b.hostPort}`, b);
      push(this.bindingsByContainer, `${b.containerIp}|${b.containerPort}`, b);
    }
  }

  private socketIndex(key: (s: Sock) => string | null): Map<string, Sock[]> {
    const map = new Map<string, Sock[]>();
    for (const s of this.m.sockets) {
      const k = key(s);
      if (k !== null) push(map, k, s);
    }
    return map;
  }

  private get sockOrder(): Map<Sock, number> {
    return (this.lazy.sockOrder ??= new Map(this.m.sockets.map((s, i) => [s, i])));
  }
  private get hostByLocalPort(): Map<string, Sock[]> {
    return (this.lazy.hostByLocalPort ??= this.socketIndex((s) => (s.netns === "host" ? `${s.proto}|${s.localPort}` : null)));
  }
  private get byNetnsLocalPort(): Map<string, Sock[]> {
    return (this.lazy.byNetnsLocalPort ??= this.socketIndex((s) => `${s.netns}|${s.proto}|${s.localPort}`));
  }
  private get byLocalEnd(): Map<string, Sock[]> {
    return (this.lazy.byLocalEnd ??= this.socketIndex((s) => `${s.proto}|${s.localIp}|${s.localPort}`));
  }
  private get byRemotePort(): Map<string, Sock[]> {
    return (this.lazy.byRemotePort ??= this.socketIndex((s) => `${s.proto}|${s.remotePort}`));
  }
  /** Conntrack entries by (proto, original destination port), and each entry's position in the dump. */
  private ctIndex(): { byOrigDport: Map<string, ConntrackRecord[]>; order: Map<ConntrackRecord, number> } {
    if (!this.lazy.ctByOrigDport || !this.lazy.ctOrder) {
      const map = new Map<string, ConntrackRecord[]>();
      const order = new Map<ConntrackRecord, number>();
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
  private get ctByOrigDport(): Map<string, ConntrackRecord[]> {
    return this.ctIndex().byOrigDport;
  }
  private get ctOrder(): Map<ConntrackRecord, number> {
    return this.ctIndex().order;
  }

  /** Sockets (in any netns, or one) whose local end is `l` and remote end is `r`. */
  private find(proto: string, l: Endpoint, r: Endpoint, netns?: string): Sock[] {
    const list = this.byLocal.get(proto, l.ip, l.port, r.ip, r.port) ?? [];
    return netns ? list.filter((s) => s.netns === netns) : list;
  }

  private containerOfNetns(netns: string): ContainerInfo | undefined {
    return netns.startsWith("container:") ? this.netnsContainer.get(netns) : undefined;
  }

  private clientKind(ip: string, netnsHint?: string): { kind: ClientKind; container: string | null } {
    const c = this.m.byIp.get(ip);
    if (c) return { kind: "container", container: c.container.name };
    if (netnsHint?.startsWith("container:")) return { kind: "container", container: netnsHint.slice("container:".length) };
    if (isLocal(this.m, ip)) return { kind: "host", container: null };
    if (bridgeOf(this.m, ip)) return { kind: "container", container: null };
    return { kind: "external", container: null };
  }

  private bindingFor(proto: string, hostIp: string, hostPort: number | null): Binding | undefined {
    const fam = familyOf(hostIp);
    const list = this.bindingsByHostPort.get(`${proto}|${hostPort}`);
    if (!list) return undefined;
    return list.find((b) => b.hostIp === hostIp) ?? list.find((b) => b.hostIp === null && (b.hostFamily === null || b.hostFamily === fam)) ?? list.find((b) => b.hostIp === null);
  }

  private isProxySock(s: Sock): boolean | null {
    if (s.pid === null && !s.program) return null;
    if (isDockerProxyName(s.program)) return true;
    const p = s.pid !== null ? this.m.processes.get(s.pid) : undefined;
    if (p?.dockerProxy) return true;
    return false;
  }

  private newFlow(partial: Partial<Flow> & Pick<Flow, "proto" | "state" | "client">): Flow {
    const f: Flow = {
      outcome: OPEN_STATES.has(partial.state) || partial.state === "ASSURED" || partial.state === "UNCONN" ? "open" : partial.state === "TIME_WAIT" ? "closed" : "failed",
      path: "unknown",
      pathDetail: "unknown",
      snat: null,
      published: null,
      proxy: null,
      container: null,
      containerSees: null,
      confidence: "possible",
      explanation: "",
      evidence: [],
      ...partial,
    };
    this.flows.push(f);
    return f;
  }

  private use(f: Flow, leg: Sock | ConntrackRecord, note: string): void {
    let legs = this.legs.get(f);
    if (!legs) this.legs.set(f, (legs = []));
    if (legs.includes(leg)) return;
    legs.push(leg);
    this.used.add(leg);
    f.evidence.push("ssMapped" in leg ? sockEv(leg, note) : ctEv(leg, note));
  }

  /** Attach the client's own socket (in any netns) for a connection from `client` to `dialled`. */
  private attachClient(f: Flow, dialled: Endpoint): void {
    if (f.client.port === null) return;
    for (const s of this.find(f.proto, ep(f.client.ip, f.client.port), dialled)) {
      if (this.used.has(s)) continue;
      this.use(f, s, `client socket (${s.netns})`);
      if (s.netns.startsWith("container:") && f.client.kind !== "container") {
        f.client.kind = "container";
        f.client.container = s.netns.slice("container:".length);
      } else if (s.netns === "host" && f.client.kind === "unknown") f.client.kind = "host";
      if (s.netns.startsWith("container:") && !f.client.container) f.client.container = s.netns.slice("container:".length);
    }
  }

  run(): Flow[] {
    this.serverLegs();
    this.hostLegs();
    this.conntrackOnly();
    this.proxyFrontends();
    this.stalledClients();
    this.clientLegs();
    return this.flows;
  }

  /**
   * Host sockets connected to a container's address that no container-side
   * socket explained (the container's socket table is not in the bundle):
   * docker-proxy backends and host processes dialling containers directly.
   */
  private hostLegs(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.netns !== "host" || s.remotePort === null || s.state === "LISTEN" || s.state === "UNCONN") continue;
      const target = this.m.byIp.get(s.remoteIp);
      if (!target || !isLocal(this.m, s.localIp)) continue;
      // A socket on a published host port is an accepted one (a docker-proxy frontend whose
      // client is a container), not a connection to that container: proxyFrontends() takes it.
      if (this.bindingFor(s.proto, s.localIp, s.localPort)) continue;
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: { ip: s.localIp, port: s.localPort, kind: "host", container: null },
        container: { name: target.container.name, ip: s.remoteIp, port: s.remotePort },
        containerSees: ep(s.localIp, s.localPort),
      });
      this.use(f, s, "host socket of the connecting side");
      const ct = this.m.ct.byOriginal(s.proto, s.localIp, s.localPort, s.remoteIp, s.remotePort);
      if (ct) this.use(f, ct, "conntrack entry");
      const isProxy = this.isProxySock(s);
      if (isProxy === true) {
        this.proxyFlow(f, s, target.container, !!ct);
        continue;
      }
      f.path = "direct";
      f.pathDetail = "direct";
      f.snat = false;
      f.confidence = isProxy === false ? "certain" : "possible";
      f.explanation =
        isProxy === false
          ? `a host process (${s.program ?? `pid ${s.pid}`}) connected straight to ${target.container.name} at ${fmt(ep(s.remoteIp, s.remotePort))}; no NAT, no docker-proxy`
          : `a host socket ${fmt(ep(s.localIp, s.localPort))} is connected straight to ${target.container.name}; its owner is unknown (no -p), so it may also be a docker-proxy backend`;
    }
  }

  /** Container sockets whose local end is the container's address and a port it listens on. */
  private serverLegs(): void {
    // netns -> proto and port of its listeners, as numbers (no text key per socket)
    const listening = new Map<string, Set<number>>();
    const protoPort = (s: Sock) => (s.proto === "udp" ? 65537 : 0) + (s.localPort ?? 65536);
    for (const s of this.m.sockets) {
      if (s.state !== "LISTEN" && !(s.proto === "udp" && s.state === "UNCONN")) continue;
      const ports = listening.get(s.netns);
      if (ports) ports.add(protoPort(s));
      else listening.set(s.netns, new Set([protoPort(s)]));
    }
    for (const s of this.m.sockets) {
      const c = this.containerOfNetns(s.netns);
      if (!c || s.state === "LISTEN" || s.state === "UNCONN" || s.remotePort === null) continue;
      if (!listening.get(s.netns)?.has(protoPort(s))) continue;
      const addr = c.addrs.find((a) => a.ip === s.localIp);
      if (!addr) continue;
      this.classifyServerLeg(s, c, addr.gateway);
    }
  }

  private classifyServerLeg(s: Sock, c: ContainerInfo, gateway: string | null): void {
    const m = this.m;
    const peer = ep(s.remoteIp, s.remotePort);
    const f = this.newFlow({
      proto: s.proto,
      state: s.state,
      client: { ip: peer.ip, port: peer.port, kind: "unknown", container: null },
      container: { name: c.name, ip: s.localIp, port: s.localPort },
      containerSees: peer,
    });
    this.use(f, s, `server socket in ${c.name}`);
    const ct = m.ct.byReply(s.proto, s.localIp, s.localPort, peer.ip, peer.port);
    if (ct) {
      this.use(f, ct, "conntrack entry");
      const o = ct.original;
      if (ct.dnat) {
        f.path = "dnat";
        f.snat = ct.snat;
        f.client = { ip: o.src, port: o.sport, ...this.clientKind(o.src) };
        f.published = ep(o.dst, o.dport);
        f.confidence = "certain";
        f.pathDetail = this.dnatDetail(f, c);
        f.explanation = this.dnatExplanation(f, ct);
        this.attachClient(f, f.published);
        return;
      }
      // No NAT on this leg: the peer dialled the container's address itself.
      this.peerDialledContainer(f, s, c, gateway, true);
      return;
    }
    // No conntrack entry.
    if (isLocal(m, peer.ip) || (gateway !== null && peer.ip === gateway)) {
      const host = this.find(s.proto, peer, ep(s.localIp, s.localPort), "host");
      if (host.length) {
        this.peerDialledContainer(f, s, c, gateway, false);
        return;
      }
      // No host socket for the peer's end: the host's socket was rewritten by NAT.
      const hostClient = (this.hostByLocalPort.get(`${s.proto}|${peer.port}`) ?? []).find(
        (h) => isLocal(m, h.remoteIp) && this.bindingFor(h.proto, h.remoteIp, h.remotePort)?.containerPort === s.localPort,
      );
      if (hostClient) {
        this.use(f, hostClient, "host client socket (before NAT)");
        f.path = "dnat";
        f.client = { ip: hostClient.localIp, port: hostClient.localPort, kind: "host", container: null };
        f.published = ep(hostClient.remoteIp, hostClient.remotePort);
        f.snat = hostClient.localIp !== peer.ip;
        f.pathDetail = f.snat ? "host-nat" : "dnat";
        f.confidence = m.present.conntrack ? "possible" : "likely";
        f.explanation = `${f.snat ? "DNAT + MASQUERADE" : "DNAT in nat OUTPUT"}: the host process ${fmt(ep(f.client.ip, f.client.port))} dialled ${fmt(f.published)}; no host socket ${fmt(peer)} exists, so the kernel rewrote the connection (no conntrack entry to prove it)`;
        return;
      }
      const self = (this.byNetnsLocalPort.get(`${s.netns}|${s.proto}|${peer.port}`) ?? []).find((x) => x !== s && x.remotePort !== s.localPort);
      if (self) {
        this.use(f, self, "the container's own client socket");
        f.path = "dnat";
        f.pathDetail = "hairpin-self";
        f.client = { ip: self.localIp, port: self.localPort, kind: "container", container: c.name };
        f.published = ep(self.remoteIp, self.remotePort);
        f.snat = true;
        f.confidence = "likely";
        f.explanation = `hairpin NAT: ${c.name} dialled its own published port ${fmt(f.published)}; DNAT plus the per-port MASQUERADE made it arrive from ${fmt(peer)}`;
        return;
      }
      f.explanation = `peer ${fmt(peer)} is a host address but no host socket or conntrack entry explains the connection`;
      return;
    }
    this.peerDialledContainer(f, s, c, gateway, false);
  }

  private dnatDetail(f: Flow, c: ContainerInfo): PathDetail {
    if (f.client.container === c.name && f.client.ip !== f.published?.ip) return "hairpin-self";
    if (f.snat && f.client.kind === "host") return "host-nat";
    if (f.snat && f.client.container === c.name) return "hairpin-self";
    if (f.client.kind === "container" && f.client.container && this.sameBridge(f.client.ip, c)) return "hairpin";
    return "dnat";
  }

  private sameBridge(ip: string, c: ContainerInfo): boolean {
    const b = bridgeOf(this.m, ip);
    return !!b && c.addrs.some((a) => b.subnets.some((sn) => bridgeOf(this.m, a.ip) === b && sn));
  }

  private dnatExplanation(f: Flow, ct: ConntrackRecord): string {
    const who = f.client.kind === "container" ? `container ${f.client.container ?? f.client.ip}` : f.client.kind === "host" ? "a host process" : `external client ${f.client.ip}`;
    const r = ct.reply;
    let text = `${who} dialled ${fmt(f.published)}; conntrack shows the reply coming from ${fmt(ep(r.src, r.sport))}, so the kernel DNATed it to ${f.container?.name}`;
    if (f.snat) text += ` and rewrote the source to ${fmt(ep(r.dst, r.dport))} (${f.pathDetail === "host-nat" ? "MASQUERADE of host traffic, userland-proxy off" : "MASQUERADE"})`;
    if (f.outcome === "failed") text += `, but the connection never completed (${ct.state ?? "no state"}${ct.flags.includes("UNREPLIED") ? ", UNREPLIED" : ""})`;
    else if (!f.snat) text += "; the container sees the real client";
    if (f.pathDetail === "hairpin") text += " (hairpin NAT on the bridge)";
    return text + ".";
  }

  /** The peer connected to the container's own address: docker-proxy's backend leg, a direct host process, or another container. */
  private peerDialledContainer(f: Flow, s: Sock, c: ContainerInfo, gateway: string | null, ctProof: boolean): void {
    const m = this.m;
    const peer = ep(s.remoteIp, s.remotePort);
    const backend = this.find(s.proto, peer, ep(s.localIp, s.localPort), "host")[0];
    if (backend) {
      this.use(f, backend, "host socket of the connecting side");
      const isProxy = this.isProxySock(backend);
      if (isProxy === true) {
        this.proxyFlow(f, backend, c, ctProof);
        return;
      }
      if (isProxy === false) {
        f.path = "direct";
        f.pathDetail = "direct";
        f.snat = false;
        f.client = { ip: peer.ip, port: peer.port, kind: "host", container: null };
        f.published = null;
        f.confidence = "certain";
        f.explanation = `a host process (${backend.program ?? `pid ${backend.pid}`}) connected straight to ${c.name} at ${fmt(ep(s.localIp, s.localPort))}; no NAT, no docker-proxy`;
        return;
      }
      // Owner unknown (no -p): a docker-proxy for this container port makes the proxy likely.
      const proxies = this.bindingsForContainer(s.localIp, s.localPort).filter((b) => b.proxyPids.length);
      const frontendCount = this.frontendsFor(s.proto, s.localIp, s.localPort).length;
      if (proxies.length && peer.ip === gateway && frontendCount > 0) {
        this.proxyFlow(f, backend, c, false);
        f.confidence = "possible";
        f.explanation += " (socket owners are not in the bundle: a host process dialling the container directly would look the same)";
        return;
      }
      f.path = "direct";
      f.pathDetail = "direct";
      f.snat = false;
      f.client = { ip: peer.ip, port: peer.port, kind: "host", container: null };
      f.confidence = "possible";
      f.explanation = `a host socket ${fmt(peer)} connected straight to ${c.name}; its owner is unknown (no -p in the bundle) and no docker-proxy frontend is waiting for it`;
      return;
    }
    // The bridge gateway with no host socket table to look at: docker-proxy's backend or a host process, no telling which.
    if (peer.ip === gateway && !m.present.hostSockets) {
      const proxied = this.bindingsForContainer(s.localIp, s.localPort).some((b) => b.proxyPids.length > 0);
      f.path = proxied ? "docker-proxy" : "direct";
      f.pathDetail = f.path;
      f.snat = false;
      f.client = { ip: "unknown", port: null, kind: "unknown", container: null };
      f.confidence = "possible";
      f.explanation = `${c.name} was dialled from its bridge gateway ${fmt(peer)}${ctProof ? " without NAT (conntrack)" : ""}: ${proxied ? "the pattern of a docker-proxy backend, " : ""}or a host process dialling it directly; the host's socket table is not in the bundle to tell which, or who the client was`;
      return;
    }
    // Another container (or an external host routed to the bridge) dialled the container's address.
    const k = this.clientKind(peer.ip);
    f.client = { ip: peer.ip, port: peer.port, ...k };
    const clientSock = (this.byLocalEnd.get(`${s.proto}|${peer.ip}|${peer.port}`) ?? []).find((x) => x.netns !== s.netns);
    if (clientSock) {
      this.use(f, clientSock, `client socket (${clientSock.netns})`);
      if (clientSock.netns.startsWith("container:")) f.client.container = clientSock.netns.slice("container:".length);
      if (clientSock.remoteIp === s.localIp && clientSock.remotePort === s.localPort) {
        f.path = "direct";
        f.pathDetail = "direct";
        f.snat = false;
        f.confidence = ctProof ? "certain" : "likely";
        f.explanation = `${f.client.container ?? peer.ip} dialled ${c.name}'s own address ${fmt(ep(s.localIp, s.localPort))}: no NAT, no proxy`;
        return;
      }
      // It dialled something else (a published port) and arrived unchanged: DNAT without SNAT (hairpin, or 29.x cross-bridge).
      f.path = "dnat";
      f.snat = false;
      f.published = ep(clientSock.remoteIp, clientSock.remotePort);
      f.pathDetail = this.sameBridge(peer.ip, c) ? "hairpin" : "dnat";
      f.confidence = "likely";
      f.explanation = `${f.client.container ?? peer.ip} dialled ${fmt(f.published)} and ${c.name} sees its real address: DNAT without SNAT${f.pathDetail === "hairpin" ? " (hairpin NAT on the bridge)" : ""}`;
      return;
    }
    f.path = ctProof ? "direct" : k.kind === "external" && this.bindingsForContainer(s.localIp, s.localPort).length ? "dnat" : "direct";
    f.pathDetail = f.path;
    f.snat = false;
    f.confidence = ctProof ? "certain" : "possible";
    f.explanation = ctProof
      ? `conntrack shows ${fmt(peer)} dialled ${c.name} at ${fmt(ep(s.localIp, s.localPort))} itself: no NAT`
      : f.path === "dnat"
        ? `${peer.ip} is outside the host and ${c.name} publishes port ${s.localPort}: most likely DNATed from a published port (no conntrack entry to prove it)`
        : `${fmt(peer)} reached ${c.name} at its own address; nothing shows a NAT (no conntrack entry)`;
    if (f.path === "dnat") {
      const b = this.bindingsForContainer(s.localIp, s.localPort)[0];
      if (b) f.published = ep(b.hostIp ?? "*", b.hostPort);
    }
  }

  private bindingsForContainer(ip: string, port: number | null): Binding[] {
    if (port === null) return [];
    return this.bindingsByContainer.get(`${ip}|${port}`) ?? [];
  }

  /** docker-proxy frontends (accepted sockets on a proxied host port) for a container port. */
  private frontendsFor(proto: string, cip: string, cport: number | null): Sock[] {
    const ports = new Set(this.bindingsForContainer(cip, cport).map((b) => b.hostPort));
    const socks = merged(
      [...ports].map((p) => this.hostConnByLocalPort.get(`${proto}|${p}`)),
      () => this.sockOrder,
    );
    return socks.filter((s) => isLocal(this.m, s.localIp) && this.isProxySock(s) !== false && s.remotePort !== null);
  }

  private proxyFlow(f: Flow, backend: Sock, c: ContainerInfo, ctProof: boolean): void {
    f.path = "docker-proxy";
    f.pathDetail = "docker-proxy";
    f.snat = false;
    const pid = backend.pid;
    const candidates = this.frontendsFor(backend.proto, backend.remoteIp, backend.remotePort).filter((s) => !this.used.has(s) && (pid === null || s.pid === null || s.pid === pid));
    let frontend: Sock | undefined;
    let pairing = "none";
    if (candidates.length === 1 && pid !== null) {
      frontend = candidates[0];
      pairing = "only frontend of this docker-proxy";
    } else if (candidates.length > 1 && backend.inode !== null) {
      const near = candidates
        .filter((x) => x.inode !== null && x.inode < backend.inode!)
        .sort((a, b) => b.inode! - a.inode!);
      frontend = near[0];
      pairing = frontend ? `inode adjacency (${frontend.inode} -> ${backend.inode})` : "none";
    } else if (candidates.length === 1) {
      frontend = candidates[0];
      pairing = "only proxied connection to this port (owners unknown)";
    }
    f.proxy = {
      pid,
      frontend: frontend ? { local: ep(frontend.localIp, frontend.localPort), remote: ep(frontend.remoteIp, frontend.remotePort) } : null,
      backend: { local: ep(backend.localIp, backend.localPort), remote: ep(backend.remoteIp, backend.remotePort) },
      pairing,
    };
    const program = pid !== null ? `docker-proxy (pid ${pid})` : "docker-proxy";
    if (frontend) {
      this.use(f, frontend, "docker-proxy frontend (accepted client connection)");
      f.client = { ip: frontend.remoteIp, port: frontend.remotePort, ...this.clientKind(frontend.remoteIp) };
      f.published = ep(frontend.localIp, frontend.localPort);
      this.attachClient(f, f.published);
      f.confidence = pairing.startsWith("only frontend") && ctProof !== undefined ? "certain" : pairing.startsWith("inode") ? "likely" : "possible";
      if (pid === null) f.confidence = "possible";
      const ctFront = this.m.ct.byOriginal(frontend.proto, frontend.remoteIp, frontend.remotePort, frontend.localIp, frontend.localPort);
      if (ctFront) this.use(f, ctFront, "conntrack entry of the client leg (not NATed)");
      f.explanation = `${f.client.kind === "container" ? `container ${f.client.container ?? f.client.ip}` : f.client.kind === "host" ? "a host process" : `client ${f.client.ip}`} dialled ${fmt(f.published)}, which no DNAT rule rewrote, so ${program} accepted it and opened a second connection ${fmt(f.proxy.backend!.local)} -> ${fmt(f.proxy.backend!.remote)}; ${c.name} sees the gateway, not the client (pairing: ${pairing})`;
    } else if (backend.proto === "udp" && this.udpClient(f, backend.remoteIp, backend.remotePort)) {
      f.explanation = `${f.client.kind === "container" ? `container ${f.client.container ?? f.client.ip}` : f.client.kind === "host" ? "a host process" : `client ${f.client.ip}`} sends to ${fmt(f.published)}, which no DNAT rule rewrote, so ${program} relays its datagrams from ${fmt(f.proxy.backend!.local)}; ${c.name} sees the gateway (UDP has no accepted socket: paired as the only un-NATed sender to this port)`;
      f.confidence = "likely";
    } else {
      f.client = { ip: "unknown", port: null, kind: "unknown", container: null };
      f.confidence = pid !== null ? "likely" : "possible";
      f.explanation = `${program} connected ${fmt(f.proxy.backend!.local)} -> ${c.name}; its client-side socket is not in the bundle (or could not be paired), so the real client is unknown`;
    }
  }

  /**
   * UDP through docker-proxy leaves no accepted socket: the client is the only
   * un-NATed sender to the proxied host port (its socket, or its conntrack entry).
   */
  private udpClient(f: Flow, cip: string, cport: number | null): boolean {
    const proxied = this.bindingsForContainer(cip, cport).filter((b) => b.proto === "udp" && b.proxyPids.length);
    const ports = new Set(proxied.map((b) => b.hostPort));
    const socks = merged(
      [...ports].map((p) => this.byRemotePort.get(`udp|${p}`)),
      () => this.sockOrder,
    ).filter((x) => !this.used.has(x) && isLocal(this.m, x.remoteIp) && this.isProxySock(x) !== true);
    const cts = this.ctWithDport("udp", ports).filter((x) => !this.used.has(x) && !x.dnat && !x.snat && isLocal(this.m, x.original.dst));
    const client = socks.length === 1 ? ep(socks[0]!.localIp, socks[0]!.localPort) : cts.length === 1 ? ep(cts[0]!.original.src, cts[0]!.original.sport) : null;
    if (!client) return false;
    const dialled = socks.length === 1 ? ep(socks[0]!.remoteIp, socks[0]!.remotePort) : ep(cts[0]!.original.dst, cts[0]!.original.dport);
    f.client = { ip: client.ip, port: client.port, ...this.clientKind(client.ip, socks[0]?.netns) };
    f.published = dialled;
    if (f.proxy) {
      f.proxy.frontend = { local: dialled, remote: client };
      f.proxy.pairing = "only un-NATed UDP sender to this port";
    }
    for (const x of socks) this.use(f, x, "client socket");
    const ct = this.m.ct.byOriginal("udp", client.ip, client.port, dialled.ip, dialled.port);
    if (ct) this.use(f, ct, "conntrack entry of the client leg (not NATed)");
    return true;
  }

  /** Entries of m.ct.originals() (in its order) with this proto and an original dport in `ports`. */
  private ctWithDport(proto: string, ports: Set<number>): ConntrackRecord[] {
    return merged(
      [...ports].map((p) => this.ctByOrigDport.get(`${proto}|${p}`)),
      () => this.ctOrder,
    );
  }

  /** Proxy frontends whose backend leg was not seen (container namespaces missing, or pairing failed). */
  private proxyFrontends(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.netns !== "host" || s.state === "LISTEN" || s.state === "UNCONN" || s.remotePort === null) continue;
      if (!isLocal(this.m, s.localIp) || s.localPort === null) continue;
      const b = this.bindingFor(s.proto, s.localIp, s.localPort);
      if (!b || !b.proxyPids.length) continue;
      const owner = this.isProxySock(s);
      if (owner === false) continue;
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: { ip: s.remoteIp, port: s.remotePort, ...this.clientKind(s.remoteIp) },
        published: ep(s.localIp, s.localPort),
        container: b.container ? { name: b.container, ip: b.containerIp ?? "unknown", port: b.containerPort } : null,
      });
      this.use(f, s, "docker-proxy frontend (accepted client connection)");
      f.path = "docker-proxy";
      f.pathDetail = "docker-proxy";
      f.snat = false;
      f.proxy = { pid: s.pid, frontend: { local: ep(s.localIp, s.localPort), remote: ep(s.remoteIp, s.remotePort) }, backend: null, pairing: "none" };
      f.confidence = owner ? "likely" : "possible";
      this.attachClient(f, f.published!);
      f.explanation = `docker-proxy${s.pid !== null ? ` (pid ${s.pid})` : ""} accepted ${fmt(ep(s.remoteIp, s.remotePort))} on ${fmt(f.published)}${owner ? "" : " (owner inferred from the published port)"}; its connection to ${b.container ?? "the container"} was not found in the bundle${s.state === "TIME_WAIT" ? "; the connection is closed" : ""}`;
    }
  }

  /** DNAT conntrack entries to container addresses that no socket explained (e.g. container netns missing). */
  private conntrackOnly(): void {
    for (const ct of this.m.ct.replies()) {
      if (this.used.has(ct)) continue;
      const target = this.m.byIp.get(ct.reply.src);
      if (!target) continue;
      const o = ct.original;
      const dnat = ct.dnat;
      const direct = o.dst === ct.reply.src;
      if (!dnat && !direct) continue;
      const state = ct.state ?? (ct.flags.includes("UNREPLIED") ? "UNREPLIED" : ct.flags.includes("ASSURED") ? "ASSURED" : "UNCONN");
      // A proxy backend leg (source = a gateway, no NAT) without sockets: only count it when it names the proxy.
      const f = this.newFlow({
        proto: ct.proto,
        state,
        client: { ip: o.src, port: o.sport, ...this.clientKind(o.src) },
        container: { name: target.container.name, ip: ct.reply.src, port: ct.reply.sport },
        containerSees: ep(ct.reply.dst, ct.reply.dport),
      });
      if (ct.flags.includes("UNREPLIED") && ct.proto === "tcp") f.outcome = "failed";
      this.use(f, ct, "conntrack entry");
      if (dnat) {
        f.path = "dnat";
        f.snat = ct.snat;
        f.published = ep(o.dst, o.dport);
        f.confidence = "certain";
        f.pathDetail = this.dnatDetail(f, target.container);
        f.explanation = this.dnatExplanation(f, ct);
      } else {
        const gw = target.addr.gateway;
        const proxied = this.bindingsForContainer(ct.reply.src, ct.reply.sport).filter((b) => b.proto === ct.proto && b.proxyPids.length);
        if (gw && o.src === gw && proxied.length) {
          // The pattern of a docker-proxy backend. The client leg is another un-NATed entry to the proxied host port.
          f.path = "docker-proxy";
          f.pathDetail = "docker-proxy";
          f.snat = false;
          const ports = new Set(proxied.map((b) => b.hostPort));
          const fronts = this.ctWithDport(ct.proto, ports).filter((x) => !this.used.has(x) && !x.dnat && !x.snat && isLocal(this.m, x.original.dst));
          const front = fronts.length === 1 ? fronts[0]! : undefined;
          if (front) {
            this.use(f, front, "conntrack entry of the client leg (not NATed)");
            f.client = { ip: front.original.src, port: front.original.sport, ...this.clientKind(front.original.src) };
            f.published = ep(front.original.dst, front.original.dport);
            f.proxy = { pid: proxied[0]!.proxyPids.length === 1 ? proxied[0]!.proxyPids[0]! : null, frontend: { local: f.published, remote: ep(f.client.ip, f.client.port) }, backend: { local: ep(o.src, o.sport), remote: ep(o.dst, o.dport) }, pairing: "only un-NATed client entry for this proxied port" };
            f.confidence = "likely";
            f.explanation = `${f.client.kind === "host" ? "a host process" : `client ${f.client.ip}`} sent to ${fmt(f.published)} without NAT (conntrack), and the bridge gateway ${fmt(ep(o.src, o.sport))} talks to ${target.container.name} without NAT: docker-proxy relayed it (paired as the only such entries; ${target.container.name} sees the gateway)`;
          } else {
            f.client = { ip: "unknown", port: null, kind: "unknown", container: null };
            f.confidence = "possible";
            f.explanation = `conntrack shows ${fmt(ep(o.src, o.sport))} (the bridge gateway) dialling ${target.container.name} without NAT: the pattern of a docker-proxy backend; ${fronts.length ? `${fronts.length} client entries could match` : "no entry in the bundle shows which client it serves"}`;
          }
        } else {
          f.path = "direct";
          f.pathDetail = "direct";
          f.snat = false;
          f.confidence = "certain";
          f.explanation = `conntrack shows ${fmt(ep(o.src, o.sport))} dialling ${target.container.name} at its own address ${fmt(ep(o.dst, o.dport))}: no NAT`;
        }
      }
      this.attachClient(f, ep(o.dst, o.dport));
    }
  }

  /** Client sockets stuck in SYN_SENT towards a published port or a container: failed flows. */
  /**
   * Client sockets connected to a published port that nothing else explained
   * (no container socket table, no conntrack, no proxy frontend): the client
   * and the port are known, the path only from the daemon's mode.
   */
  private clientLegs(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || !OPEN_STATES.has(s.state) || s.remotePort === null) continue;
      if (s.netns === "host" ? !isLocal(this.m, s.remoteIp) : !isLocal(this.m, s.remoteIp) && !this.m.bridges.some((b) => b.gateways.includes(s.remoteIp))) continue;
      const b = this.bindingFor(s.proto, s.remoteIp, s.remotePort);
      if (!b || this.isProxySock(s) === true) continue;
      const k = this.clientKind(s.localIp, s.netns);
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: { ip: s.localIp, port: s.localPort, ...k },
        published: ep(s.remoteIp, s.remotePort),
        container: b.container ? { name: b.container, ip: b.containerIp ?? "unknown", port: b.containerPort } : null,
      });
      this.use(f, s, `client socket (${s.netns})`);
      const mode = this.m.userlandProxy.value;
      const viaProxy = mode === "on" && (isLoopback(s.remoteIp) || s.netns !== "host");
      f.path = mode === "unknown" ? "unknown" : viaProxy ? "docker-proxy" : "dnat";
      f.pathDetail = f.path;
      f.snat = null;
      f.confidence = "possible";
      f.explanation = `${k.container ? `container ${k.container}` : fmt(ep(s.localIp, s.localPort))} is connected to the published port ${fmt(f.published)}; nothing else in the bundle shows this connection (no container socket table, conntrack entry or docker-proxy socket for it), so the path follows only from the daemon's mode (userland-proxy ${mode})`;
    }
  }

  private stalledClients(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.state !== "SYN_SENT" || s.remotePort === null) continue;
      const target = this.m.byIp.get(s.remoteIp);
      const b = isLocal(this.m, s.remoteIp) ? this.bindingFor(s.proto, s.remoteIp, s.remotePort) : undefined;
      if (!target && !b) continue;
      const k = this.clientKind(s.localIp, s.netns);
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: { ip: s.localIp, port: s.localPort, ...k },
        published: b ? ep(s.remoteIp, s.remotePort) : null,
        container: target ? { name: target.container.name, ip: s.remoteIp, port: s.remotePort } : b?.container ? { name: b.container, ip: b.containerIp ?? "unknown", port: b.containerPort } : null,
      });
      f.outcome = "failed";
      this.use(f, s, "client socket stuck in SYN_SENT");
      const ct = this.m.ct.byOriginal(s.proto, s.localIp, s.localPort, s.remoteIp, s.remotePort);
      if (ct) {
        this.use(f, ct, "conntrack entry");
        f.path = ct.dnat ? "dnat" : "unknown";
        f.snat = ct.snat;
        f.confidence = "certain";
      } else {
        f.path = b ? (this.m.userlandProxy.value === "off" ? "dnat" : "unknown") : "direct";
        f.confidence = "possible";
      }
      f.pathDetail = f.path === "dnat" || f.path === "direct" ? f.path : "unknown";
      f.explanation = `${k.container ? `container ${k.container}` : fmt(ep(s.localIp, s.localPort))} is still waiting for an answer from ${fmt(ep(s.remoteIp, s.remotePort))} (SYN_SENT): the connection never completed${ct ? "" : "; no conntrack entry exists, which is what a packet dropped in FORWARD leaves behind (the entry is never confirmed)"}`;
    }
  }
}

export function attribute(m: HostModel): Flow[] {
  return new Attributor(m).run();
}

export { isLoopback };
