/**
 * Attribution: merge every socket and conntrack entry that touches a
 * container or a published port into flows, one per real connection, and
 * decide each flow's path with the evidence behind it (docker-paths.md §4.5).
 * The reasons for each decision are data (flow-types.ts Reason); the
 * explanation stage (explain.ts) turns them into text.
 *
 * Order of proof: a conntrack entry whose reply tuple is the container's
 * socket makes NAT certain; socket ownership by docker-proxy makes the proxy
 * path certain; without those, socket patterns give "likely" or "possible".
 *
 *   flow-index.ts   lookups over the host model
 *   flow-core.ts    the flows made so far and the legs they cite
 *   flow-proxy.ts   docker-proxy pairing
 *   flow-server.ts  passes from a container's accepted socket
 *   flows.ts        the other passes, in the order run() calls them
 */
import { ev, isDockerdName, isLocal, type Binding, type HostModel } from "./model.js";
import { familyOf, isLoopback } from "../net/index.js";
import { clientOf, ep, OPEN_STATES } from "./flow-core.js";
import { dnatReason, ServerPasses } from "./flow-server.js";
import type { AttributedFlow, Ipv6Why } from "./flow-types.js";

export type { ClientKind, Confidence, Endpoint, Flow, Path, PathDetail } from "./flow-types.js";

/** The evidence note of a connection waiting in dockerd's placeholder accept queue (placeholderLegs; the dockerd-placeholders finding reads it). */
export const PLACEHOLDER_QUEUED = "host socket in the placeholder's accept queue (no owner, inode 0)";

export class Attributor extends ServerPasses {
  run(): AttributedFlow[] {
    this.hostNetworkLegs();
    this.serverLegs();
    this.udpProxyGroups();
    this.hostLegs();
    this.udpStrayReplies();
    this.conntrackOnly();
    this.proxyFrontends();
    this.placeholderLegs();
    this.stalledClients();
    this.clientLegs();
    return this.flows;
  }

  /**
   * `--network host` containers: their server sockets sit in the host's table,
   * owned by the container's processes (docker-paths §4.5 caveats). No NAT, no
   * proxy: the client dialled a host address and the container answered.
   */
  protected hostNetworkLegs(): void {
    if (this.m.hostNetPids.size === 0) return;
    const listens = new Set<string>();
    for (const s of this.m.sockets) {
      if (s.netns !== "host" || (s.state !== "LISTEN" && !(s.proto === "udp" && s.state === "UNCONN")) || s.pid === null) continue;
      if (this.m.hostNetPids.has(s.pid)) listens.add(`${s.proto}|${s.localPort}`);
    }
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.netns !== "host" || s.remotePort === null || s.state === "LISTEN" || s.state === "UNCONN" || s.pid === null) continue;
      const c = this.m.hostNetPids.get(s.pid);
      if (!c || !listens.has(`${s.proto}|${s.localPort}`)) continue;
      const peer = ep(s.remoteIp, s.remotePort);
      const local = ep(s.localIp, s.localPort);
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: clientOf(peer.ip, peer.port, this.ix.clientKind(peer.ip)),
        container: { name: c.name, ip: s.localIp, port: s.localPort },
        containerSees: peer,
      });
      this.use(f, s, `server socket of ${c.name} (--network host: the host's table, pid ${s.pid})`);
      const ct = this.m.ct.byOriginal(s.proto, peer.ip, peer.port, local.ip, local.port);
      if (ct) this.use(f, ct, "conntrack entry");
      f.path = "direct";
      f.pathDetail = "direct";
      f.snat = ct ? ct.snat : false;
      f.confidence = !ct || (!ct.dnat && !ct.snat) ? "certain" : "possible";
      this.attachClient(f, local);
      const who = f.client.kind === "container" ? `container ${f.client.container ?? f.client.ip}` : f.client.kind === "host" ? "a host process" : `${f.client.kind} client ${f.client.ip}`;
      f.reasons = [{ kind: "host-network", who, dst: local, container: c.name, peer, conntrack: !ct ? "none" : ct.dnat || ct.snat ? "nat" : "no-nat" }];
    }
  }

  /**
   * Host sockets connected to a container's address that no container-side
   * socket explained (the container's socket table is not in the bundle):
   * docker-proxy backends and host processes dialling containers directly.
   */
  protected hostLegs(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.netns !== "host" || s.remotePort === null || s.state === "LISTEN" || s.state === "UNCONN") continue;
      const target = this.m.byIp.get(s.remoteIp);
      if (!target || !isLocal(this.m, s.localIp)) continue;
      // A container's connection to a host service (accepted on a port the host listens on) is not the host dialling it.
      if (this.ix.hostOnPort(s.proto, s.localPort).some((l) => l.state === "LISTEN" && (l.localIp === s.localIp || l.localIp === "0.0.0.0" || l.localIp === "::"))) continue;
      // A socket on a published host port is an accepted one (a docker-proxy frontend whose
      // client is a container), not a connection to that container: proxyFrontends() takes it.
      if (this.ix.bindingFor(s.proto, s.localIp, s.localPort)) continue;
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
      const isProxy = this.ix.isProxySock(s);
      if (isProxy === true) {
        this.proxyFlow(f, s, target.container, !!ct);
        continue;
      }
      f.path = "direct";
      f.pathDetail = "direct";
      f.snat = false;
      f.confidence = isProxy === false ? "certain" : "possible";
      f.reasons = [
        isProxy === false
          ? { kind: "host-direct", program: s.program, pid: s.pid, container: target.container.name, dst: ep(s.remoteIp, s.remotePort) }
          : { kind: "host-socket-owner-unknown", local: ep(s.localIp, s.localPort), container: target.container.name },
      ];
    }
  }

  /** DNAT conntrack entries to container addresses that no socket explained (e.g. container netns missing). */
  protected conntrackOnly(): void {
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
        client: clientOf(o.src, o.sport, this.ix.clientKind(o.src)),
        container: { name: target.container.name, ip: ct.reply.src, port: ct.reply.sport },
        containerSees: ep(ct.reply.dst, ct.reply.dport),
      });
      // a TCP entry still in the handshake (UNREPLIED, or SYN_SENT: no answer yet) is no connection
      if (ct.proto === "tcp" && (ct.flags.includes("UNREPLIED") || ct.state === "SYN_SENT")) f.outcome = "failed";
      this.use(f, ct, "conntrack entry");
      if (dnat) {
        f.path = "dnat";
        f.snat = ct.snat;
        f.published = ep(o.dst, o.dport);
        f.confidence = "certain";
        f.pathDetail = this.dnatDetail(f, target.container);
        f.reasons = [dnatReason(f, ct)];
      } else {
        const gw = target.addr.gateway;
        const proxied = this.ix.bindingsForContainer(ct.reply.src, ct.reply.sport).filter((b) => b.proto === ct.proto && b.proxyPids.length);
        if (gw && o.src === gw && proxied.length) {
          // The pattern of a docker-proxy backend. The client leg is another un-NATed entry to the proxied host port.
          f.path = "docker-proxy";
          f.pathDetail = "docker-proxy";
          f.snat = false;
          const ports = new Set(proxied.map((b) => b.hostPort));
          const fronts = this.ix.ctWithDport(ct.proto, ports).filter((x) => !this.used.has(x) && !x.dnat && !x.snat && isLocal(this.m, x.original.dst));
          const front = fronts.length === 1 ? fronts[0]! : undefined;
          if (front) {
            this.use(f, front, "conntrack entry of the client leg (not NATed)");
            f.client = clientOf(front.original.src, front.original.sport, this.ix.clientKind(front.original.src));
            f.published = ep(front.original.dst, front.original.dport);
            f.proxy = { pid: proxied[0]!.proxyPids.length === 1 ? proxied[0]!.proxyPids[0]! : null, frontend: { local: f.published, remote: ep(f.client.ip, f.client.port) }, backend: { local: ep(o.src, o.sport), remote: ep(o.dst, o.dport) }, pairing: "only un-NATed client entry for this proxied port" };
            f.confidence = "likely";
            f.reasons = [{ kind: "conntrack-proxy-paired", clientKind: f.client.kind, clientIp: f.client.ip, published: f.published, gateway: ep(o.src, o.sport), container: target.container.name }];
          } else {
            f.client = { ip: "unknown", port: null, kind: "unknown", container: null };
            f.confidence = "possible";
            f.reasons = [{ kind: "conntrack-proxy-unpaired", gateway: ep(o.src, o.sport), container: target.container.name, candidates: fronts.length }];
          }
        } else {
          f.path = "direct";
          f.pathDetail = "direct";
          f.snat = false;
          f.confidence = "certain";
          f.reasons = [{ kind: "conntrack-direct", src: ep(o.src, o.sport), container: target.container.name, dst: ep(o.dst, o.dport) }];
        }
      }
      this.attachClient(f, ep(o.dst, o.dport));
    }
  }

  /**
   * Connections the kernel completed on dockerd's placeholder listener: with
   * userland-proxy off and no DNAT rule for the port (`--iptables=false`,
   * flushed rules), a client of the published port lands on the host, where
   * dockerd holds the port only to reserve it and never accepts. The host's
   * socket for it sits on the published port with no owner and inode 0 (in the
   * accept queue): the client is connected, but nothing will ever answer it.
   */
  protected placeholderLegs(): void {
    if (this.m.userlandProxy.value === "on") return;
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.netns !== "host" || s.proto !== "tcp" || !OPEN_STATES.has(s.state) || s.remotePort === null || s.pid !== null || (s.inode !== null && s.inode !== 0)) continue;
      const b = this.ix.bindingFor(s.proto, s.localIp, s.localPort);
      if (!b || b.proxyPids.length) continue;
      const listener = this.ix.hostOnPort("tcp", s.localPort).find((l) => l.state === "LISTEN" && isDockerdName(l.program));
      if (!listener) continue;
      const published = ep(s.localIp, s.localPort);
      const peer = ep(s.remoteIp, s.remotePort);
      const k = this.ix.clientKind(peer.ip);
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: clientOf(peer.ip, peer.port, k),
        published,
        container: b.container ? { name: b.container, ip: b.containerIp ?? "unknown", port: b.containerPort } : null,
      });
      f.outcome = "failed";
      this.use(f, s, PLACEHOLDER_QUEUED);
      // the listener is cited, not taken: it is every such flow's, and no connection's leg
      f.evidence = f.evidence.concat([ev(listener.source, "dockerd's placeholder listener: never accepts")]);
      const ct = this.m.ct.byOriginal(s.proto, peer.ip, peer.port, published.ip, published.port);
      if (ct) this.use(f, ct, "conntrack entry");
      this.attachClient(f, published);
      f.path = "unknown";
      f.pathDetail = "unknown";
      f.snat = false;
      f.confidence = "certain";
      f.reasons = [{ kind: "placeholder", clientContainer: f.client.container, client: peer, published, pid: listener.pid }];
    }
  }

  /** Client sockets stuck in SYN_SENT towards a published port or a container: failed flows. */
  /**
   * Client sockets connected to a published port that nothing else explained
   * (no container socket table, no conntrack, no proxy frontend): the client
   * and the port are known, the path only from the daemon's mode.
   */
  protected clientLegs(): void {
    /** Whether conntrack tracks UDP on this host at all (decided once, when a UDP client leg asks). */
    let udpTracked: boolean | undefined;
    for (const s of this.m.sockets) {
      if (this.used.has(s) || !OPEN_STATES.has(s.state) || s.remotePort === null) continue;
      if (s.netns === "host" ? !isLocal(this.m, s.remoteIp) : !isLocal(this.m, s.remoteIp) && !this.m.bridges.some((b) => b.gateways.includes(s.remoteIp))) continue;
      const found = this.ix.bindingFor(s.proto, s.remoteIp, s.remotePort);
      if (!found || this.ix.isProxySock(s) === true) continue;
      const mode = this.m.userlandProxy.value;
      const viaProxy = mode === "on" && (isLoopback(s.remoteIp) || s.netns !== "host");
      const v6 = mode !== "unknown" && !viaProxy ? this.ipv6Client(s.proto, s.remoteIp, s.remotePort, found, mode) : null;
      const b = v6?.binding ?? found;
      const k = this.ix.clientKind(s.localIp, s.netns);
      // through docker-proxy too: the [::] proxy may relay to the container's IPv6 address or its IPv4 one (docker-paths §4.3 row 3)
      const containerIp = v6 ? v6.containerIp : this.otherFamilyIp(s.remoteIp, found);
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: clientOf(s.localIp, s.localPort, k),
        published: ep(s.remoteIp, s.remotePort),
        container: b.container ? { name: b.container, ip: containerIp !== undefined ? containerIp : (b.containerIp ?? "unknown"), port: b.containerPort } : null,
      });
      this.use(f, s, `client socket (${s.netns})`);
      f.path = v6 ? v6.path : mode === "unknown" ? "unknown" : viaProxy ? "docker-proxy" : "dnat";
      f.pathDetail = f.path;
      f.snat = null;
      f.confidence = "possible";
      f.reasons = [{ kind: "client-only", clientContainer: k.container, local: ep(s.localIp, s.localPort), published: f.published, mode, ...(v6?.why ? { ipv6: v6.why } : {}) }];
      // a UDP sender with no conntrack entry on a host that tracks (other entries are there): its
      // datagrams were dropped before their entry was confirmed (FORWARD), as a stalled TCP client's SYN
      if (s.proto === "udp" && (udpTracked ??= this.m.present.conntrack && this.m.ct.replies().some((x) => x.proto === "udp")) && !this.m.ct.byOriginal("udp", s.localIp, s.localPort, s.remoteIp, s.remotePort)) {
        f.outcome = "failed";
        f.reasons = [{ kind: "udp-unconfirmed", clientContainer: k.container, local: ep(s.localIp, s.localPort), published: f.published }];
      }
    }
  }

  /**
   * A host client of a published IPv6 address that no loopback rule keeps from
   * DNAT: only an IPv6 DNAT rule (ip6tables, nft ip6) rewrites its packet, to an
   * IPv6 address; an IPv4 rule, the one a binding of the other family comes from,
   * never applies (docker-paths §3, rows 8 and 8b). Without an IPv6 rule docker-proxy
   * relays it (userland-proxy on); with the IPv6 nat table not captured either may
   * be true. `containerIp`: the container address to name, when the binding's own
   * is not the one this client reaches. null for an IPv4 client.
   */
  private ipv6Client(proto: string, ip: string, port: number | null, found: Binding, mode: "on" | "off"): { path: "dnat" | "docker-proxy" | "unknown"; binding: Binding; containerIp?: string; why?: Ipv6Why } | null {
    if (familyOf(ip) !== 6) return null;
    const rule = this.ix.dnatRuleFor(proto, ip, port);
    if (rule) return { path: "dnat", binding: rule, ...(rule.containerIp && familyOf(rule.containerIp) === 6 ? {} : { containerIp: "unknown" }) };
    const containerIp = this.otherFamilyIp(ip, found);
    // Docker relays this IPv6 port to an IPv4 address: no IPv6 rule can, only docker-proxy
    const toIpv4 = found.hostFamily === 6 && found.proxyPids.length > 0 && found.containerIp !== null && familyOf(found.containerIp) === 4;
    const why: Ipv6Why = toIpv4 ? "proxy-to-ipv4" : this.m.tableCoverage.state(6, "nat") !== "not-captured" ? "no-rule" : "not-captured";
    const path = why === "proxy-to-ipv4" || (why === "no-rule" && mode === "on") ? "docker-proxy" : "unknown";
    return { path, binding: found, why, ...(containerIp !== undefined ? { containerIp } : {}) };
  }

  /**
   * "unknown" when `found` is a binding of the other family than the IPv6 address `ip`
   * (an IPv4 DNAT rule, docker-proxy -host-ip 0.0.0.0): its container address is not
   * known to be the one this client reaches; undefined when found's own address serves it.
   */
  private otherFamilyIp(ip: string, found: Binding): "unknown" | undefined {
    if (familyOf(ip) !== 6) return undefined;
    return found.hostFamily === 6 || (found.containerIp !== null && familyOf(found.containerIp) === 6) ? undefined : "unknown";
  }

  protected stalledClients(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.state !== "SYN_SENT" || s.remotePort === null) continue;
      const target = this.m.byIp.get(s.remoteIp);
      const found = isLocal(this.m, s.remoteIp) ? this.ix.bindingFor(s.proto, s.remoteIp, s.remotePort) : undefined;
      if (!target && !found) continue;
      // an IPv6 client: only an IPv6 DNAT rule sends it on, never the IPv4 rule of a binding of the other family
      const v6 = found && !target ? this.ipv6Client(s.proto, s.remoteIp, s.remotePort, found, this.m.userlandProxy.value === "on" ? "on" : "off") : null;
      const b = v6?.binding ?? found;
      const containerIp = b ? (v6?.containerIp !== undefined ? v6.containerIp : b.containerIp) : null;
      const k = this.ix.clientKind(s.localIp, s.netns);
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: clientOf(s.localIp, s.localPort, k),
        published: b ? ep(s.remoteIp, s.remotePort) : null,
        container: target ? { name: target.container.name, ip: s.remoteIp, port: s.remotePort } : b?.container ? { name: b.container, ip: containerIp ?? "unknown", port: b.containerPort } : null,
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
        f.path = b ? (this.m.userlandProxy.value === "off" && (!v6 || v6.path === "dnat") ? "dnat" : "unknown") : "direct";
        f.confidence = "possible";
      }
      // absence is evidence: with no DNAT rule for the port, the SYN stayed on the host, where only dockerd's placeholder listens
      const noDnat = !ct && b && containerIp && containerIp !== "unknown" && !b.proxyPids.length ? this.noDnatProof(containerIp, b.containerPort) : null;
      const holder = noDnat ? this.ix.hostOnPort(s.proto, s.remotePort).find((l) => l.state === "LISTEN" && isDockerdName(l.program)) : undefined;
      if (noDnat) {
        f.path = "unknown";
        f.confidence = holder ? "likely" : "possible";
        f.evidence = f.evidence.concat(noDnat.cite);
        if (holder) f.evidence = f.evidence.concat([ev(holder.source, "dockerd's placeholder listener: never accepts")]);
      }
      f.pathDetail = f.path === "dnat" || f.path === "direct" ? f.path : "unknown";
      f.reasons = [{ kind: "stalled", clientContainer: k.container, local: ep(s.localIp, s.localPort), remote: ep(s.remoteIp, s.remotePort), conntrack: !!ct, ...(noDnat ? { noDnat: noDnat.why, placeholder: holder?.pid ?? null } : {}) }];
    }
  }
}

/** The flows stage: every flow of the host model, with structured reasons and the attribution's evidence. */
export function attribute(m: HostModel): AttributedFlow[] {
  return new Attributor(m).run();
}
