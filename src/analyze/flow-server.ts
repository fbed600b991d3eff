/**
 * Attribution passes from the server side: a container's accepted socket,
 * classified by its conntrack entry (NAT proven), or by the sockets of its
 * peer (docker-proxy backend, host process, another container).
 */
import { ev, isLocal, type ContainerInfo, type Evidence, type Sock } from "./model.js";
import { endpoint, familyOf } from "../net/index.js";
import type { BundleConntrack } from "./bundle.js";
import { clientOf, ep } from "./flow-core.js";
import { ProxyPasses } from "./flow-proxy.js";
import type { AttributedFlow, PathDetail, Reason } from "./flow-types.js";

export class ServerPasses extends ProxyPasses {
  /** Container sockets whose local end is the container's address and a port it listens on. */
  protected serverLegs(): void {
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
      const c = this.ix.containerOfNetns(s.netns);
      if (!c || s.state === "LISTEN" || s.state === "UNCONN" || s.remotePort === null) continue;
      if (!listening.get(s.netns)?.has(protoPort(s))) continue;
      const addr = c.addrs.find((a) => a.ip === s.localIp);
      if (!addr) continue;
      this.classifyServerLeg(s, c, addr.gateway);
    }
  }

  protected classifyServerLeg(s: Sock, c: ContainerInfo, gateway: string | null): void {
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
        f.client = clientOf(o.src, o.sport, this.ix.clientKind(o.src));
        f.published = ep(o.dst, o.dport);
        f.confidence = "certain";
        f.pathDetail = this.dnatDetail(f, c);
        f.reasons = [dnatReason(f, ct)];
        this.attachClient(f, f.published);
        return;
      }
      // No NAT on this leg: the peer dialled the container's address itself.
      this.peerDialledContainer(f, s, c, gateway, true);
      return;
    }
    // No conntrack entry.
    if (isLocal(m, peer.ip) || (gateway !== null && peer.ip === gateway)) {
      const host = this.ix.find(s.proto, peer, ep(s.localIp, s.localPort), "host");
      if (host.length) {
        this.peerDialledContainer(f, s, c, gateway, false);
        return;
      }
      // No host socket for the peer's end: the host's socket was rewritten by NAT.
      const hostClient = this.ix.hostOnPort(s.proto, peer.port).find(
        (h) => isLocal(m, h.remoteIp) && this.ix.bindingFor(h.proto, h.remoteIp, h.remotePort)?.containerPort === s.localPort,
      );
      if (hostClient) {
        this.use(f, hostClient, "host client socket (before NAT)");
        f.path = "dnat";
        f.client = { ip: hostClient.localIp, port: hostClient.localPort, kind: "host", container: null };
        f.published = ep(hostClient.remoteIp, hostClient.remotePort);
        f.snat = hostClient.localIp !== peer.ip;
        f.pathDetail = f.snat ? "host-nat" : "dnat";
        f.confidence = m.present.conntrack ? "possible" : "likely";
        f.reasons = [{ kind: "dnat-host-no-conntrack", snat: f.snat, client: ep(f.client.ip, f.client.port), published: f.published, peer }];
        return;
      }
      const self = this.ix.inNetnsOnPort(s.netns, s.proto, peer.port).find((x) => x !== s && x.remotePort !== s.localPort);
      if (self) {
        this.use(f, self, "the container's own client socket");
        f.path = "dnat";
        f.pathDetail = "hairpin-self";
        f.client = { ip: self.localIp, port: self.localPort, kind: "container", container: c.name };
        f.published = ep(self.remoteIp, self.remotePort);
        f.snat = true;
        f.confidence = "likely";
        f.reasons = [{ kind: "hairpin-self", container: c.name, published: f.published, peer }];
        return;
      }
      f.reasons = [{ kind: "host-peer-unexplained", peer }];
      return;
    }
    this.peerDialledContainer(f, s, c, gateway, false);
  }

  /** DNAT rules of the dump that rewrite to `ip:port`. */
  protected dnatRulesTo(ip: string, port: number | null) {
    return this.m.rules.filter((r) => r.target === "DNAT" && r.nat?.addr === ip && (r.nat.port ?? r.matches.dport?.value[0]?.from ?? null) === port);
  }

  /**
   * The rule dump proves nothing was DNATed to `ip:port`: the dump has tables
   * but no rule (--iptables=false, flushed), rules but none of Docker's, or
   * every DNAT rule to it has matched no packet (`iptables-save -c` counters).
   * Returns the reason and what to cite, or null when the dump cannot tell.
   */
  protected noDnatProof(ip: string, port: number | null): { why: string; cite: Evidence[] } | null {
    const fw = this.m.firewall.byFamily[familyOf(ip) === 6 ? 6 : 4];
    if (fw.value === "empty") return { why: `the rule dump has no rule at all (${fw.how})`, cite: fw.evidence.slice(0, 1) };
    const rules = this.dnatRulesTo(ip, port);
    if (fw.value === "no-docker" && rules.length === 0) return { why: "the rule dump has no DNAT rule for it (none of Docker's chains)", cite: fw.evidence.slice(0, 1) };
    if (rules.length && rules.every((r) => r.packets === 0))
      return { why: `${rules.length === 1 ? "the DNAT rule" : `all ${rules.length} DNAT rules`} to ${endpoint(ip, port)} matched no packet (counter 0)`, cite: rules.map((r) => ev(r.source, "DNAT rule, packet counter 0", r.text)) };
    return null;
  }

  protected dnatDetail(f: AttributedFlow, c: ContainerInfo): PathDetail {
    if (f.client.container === c.name && f.client.ip !== f.published?.ip) return "hairpin-self";
    if (f.snat && f.client.kind === "host") return "host-nat";
    if (f.snat && f.client.container === c.name) return "hairpin-self";
    if (f.client.kind === "container" && f.client.container && this.ix.sameBridge(f.client.ip, c)) return "hairpin";
    return "dnat";
  }

  /** The peer connected to the container's own address: docker-proxy's backend leg, a direct host process, or another container. */
  protected peerDialledContainer(f: AttributedFlow, s: Sock, c: ContainerInfo, gateway: string | null, ctProof: boolean): void {
    const m = this.m;
    const peer = ep(s.remoteIp, s.remotePort);
    const backend = this.ix.find(s.proto, peer, ep(s.localIp, s.localPort), "host")[0];
    if (backend) {
      this.use(f, backend, "host socket of the connecting side");
      const isProxy = this.ix.isProxySock(backend);
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
        f.reasons = [{ kind: "host-direct", program: backend.program, pid: backend.pid, container: c.name, dst: ep(s.localIp, s.localPort) }];
        return;
      }
      // Owner unknown (no -p): a docker-proxy for this container port makes the proxy likely.
      const proxies = this.ix.bindingsForContainer(s.localIp, s.localPort).filter((b) => b.proxyPids.length);
      const frontendCount = this.ix.frontendsFor(s.proto, s.localIp, s.localPort).length;
      if (proxies.length && peer.ip === gateway && frontendCount > 0) {
        this.proxyFlow(f, backend, c, false);
        f.confidence = "possible";
        f.reasons.push({ kind: "owners-unknown" });
        return;
      }
      f.path = "direct";
      f.pathDetail = "direct";
      f.snat = false;
      f.client = { ip: peer.ip, port: peer.port, kind: "host", container: null };
      f.confidence = "possible";
      f.reasons = [{ kind: "host-socket-no-frontend", peer, container: c.name }];
      return;
    }
    // The bridge gateway with no host socket table to look at: docker-proxy's backend or a host process, no telling which.
    if (peer.ip === gateway && !m.present.hostSockets) {
      const proxied = this.ix.bindingsForContainer(s.localIp, s.localPort).some((b) => b.proxyPids.length > 0);
      f.path = proxied ? "docker-proxy" : "direct";
      f.pathDetail = f.path;
      f.snat = false;
      f.client = { ip: "unknown", port: null, kind: "unknown", container: null };
      f.confidence = "possible";
      f.reasons = [{ kind: "gateway-no-host-table", container: c.name, peer, conntrackProof: ctProof, proxied }];
      return;
    }
    // Another container (or an external host routed to the bridge) dialled the container's address.
    const k = this.ix.clientKind(peer.ip);
    f.client = clientOf(peer.ip, peer.port, k);
    const clientSock = this.ix.withLocalEnd(s.proto, peer.ip, peer.port).find((x) => x.netns !== s.netns);
    if (clientSock) {
      this.use(f, clientSock, `client socket (${clientSock.netns})`);
      if (clientSock.netns.startsWith("container:")) f.client.container = clientSock.netns.slice("container:".length);
      if (clientSock.remoteIp === s.localIp && clientSock.remotePort === s.localPort) {
        f.path = "direct";
        f.pathDetail = "direct";
        f.snat = false;
        f.confidence = ctProof ? "certain" : "likely";
        f.reasons = [{ kind: "container-direct", client: f.client.container ?? peer.ip, container: c.name, dst: ep(s.localIp, s.localPort) }];
        return;
      }
      // It dialled something else (a published port) and arrived unchanged: DNAT without SNAT (hairpin, or 29.x cross-bridge).
      f.path = "dnat";
      f.snat = false;
      f.published = ep(clientSock.remoteIp, clientSock.remotePort);
      f.pathDetail = this.ix.sameBridge(peer.ip, c) ? "hairpin" : "dnat";
      f.confidence = "likely";
      f.reasons = [{ kind: "dnat-no-snat", client: f.client.container ?? peer.ip, published: f.published, container: c.name, hairpin: f.pathDetail === "hairpin" }];
      return;
    }
    // Absence is evidence: a present rule dump with no DNAT to this port proves none happened.
    const noDnat = ctProof ? null : this.noDnatProof(s.localIp, s.localPort);
    f.path = ctProof || noDnat ? "direct" : k.kind === "external" && this.ix.bindingsForContainer(s.localIp, s.localPort).length ? "dnat" : "direct";
    f.pathDetail = f.path;
    f.snat = false;
    f.confidence = ctProof ? "certain" : noDnat ? "likely" : "possible";
    if (noDnat) f.evidence = f.evidence.concat(noDnat.cite);
    f.reasons = [
      ctProof
        ? { kind: "direct-conntrack", peer, container: c.name, dst: ep(s.localIp, s.localPort) }
        : noDnat
        ? { kind: "direct-no-dnat-rule", peer, container: c.name, dst: ep(s.localIp, s.localPort), why: noDnat.why, conntrackInBundle: this.m.present.conntrack }
        : f.path === "dnat"
          ? { kind: "dnat-guess-external", peerIp: peer.ip, container: c.name, port: s.localPort }
          : { kind: "direct-no-nat-seen", peer, container: c.name },
    ];
    if (f.path === "dnat") {
      const b = this.ix.bindingsForContainer(s.localIp, s.localPort)[0];
      if (b) f.published = ep(b.hostIp ?? "*", b.hostPort);
    }
  }
}

/** The reason of a flow whose conntrack entry proves DNAT, with the values as they stand now. */
export function dnatReason(f: AttributedFlow, ct: BundleConntrack): Reason {
  const r = ct.reply;
  return {
    kind: "dnat-conntrack",
    who: { kind: f.client.kind, container: f.client.container, ip: f.client.ip },
    published: f.published,
    replySrc: ep(r.src, r.sport),
    replyDst: ep(r.dst, r.dport),
    container: f.container?.name,
    snat: f.snat,
    pathDetail: f.pathDetail,
    failed: f.outcome === "failed",
    ctState: ct.state,
    unreplied: ct.flags.includes("UNREPLIED"),
  };
}
