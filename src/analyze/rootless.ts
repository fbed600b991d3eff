/**
 * Rootless engines: rootless Podman (slirp4netns + `rootlessport`) and rootless Docker
 * (`dockerd-rootless.sh` under rootlesskit, port driver `builtin` or `slirp4netns`).
 *
 * Their published ports are held in the host's own namespace by a userland forwarder
 * running as the user (rootlessport, rootlesskit, slirp4netns), not by DNAT: the
 * forwarder accepts the client and a second connection reaches the container from inside
 * the rootless side (rootlessport's child dials the container's own address from within
 * its namespace; rootlesskit's child dials 127.0.0.1 in its namespace, where docker-proxy
 * takes over). The container never sees the real client; the host's forwarder socket is
 * the only place that names it. Observed on this machine: samples/lab-rootless-*.
 *
 * The rootless network namespace's own records (rootless-facts.ts keeps them out of the
 * host's model) are read here for the legs inside it (rootlesskit's, docker-proxy's).
 */
import type { ContainerInfo, HostModel, Sock } from "./model.js";
import { Attributor } from "./flows.js";
import { ep, OPEN_STATES } from "./flow-core.js";
import type { AttributedFlow, Endpoint } from "./flow-types.js";
import type { ProcessRecord } from "../types.js";
import { familyOf, inCidr } from "../net/index.js";
import { base, type NamespaceView, type RootlessFacts } from "./rootless-facts.js";
import type { Change } from "../whatif/derive.js";
import type { HostWhatIf } from "../whatif/verdict.js";

const FORWARDERS = new Set<string>(["rootlessport", "rootlesskit", "slirp4netns"]);

/** The socket records of the rootless namespace, merged by tuple like the model's. */
function viewSockets(v: NamespaceView | null): Sock[] {
  if (!v) return [];
  const out: Sock[] = [];
  const seen = new Map<string, Sock>();
  for (const r of v.sockets) {
    const k = `${r.proto}|${r.localIp}|${r.localPort}|${r.remoteIp}|${r.remotePort}`;
    const s = seen.get(k);
    if (s) {
      if (s.pid === null && r.pid !== null) s.pid = r.pid;
      if (s.program === null && r.program) s.program = r.program;
      if (s.inode === null && r.inode !== null) s.inode = r.inode;
      continue;
    }
    const n: Sock = { netns: `netns:${v.name}`, proto: r.proto, family: r.family, localIp: r.localIp, localPort: r.localPort, remoteIp: r.remoteIp, remotePort: r.remotePort, state: r.state, pid: r.pid, program: r.program, inode: r.inode, source: r.source, ssMapped: false, usedBy: null };
    seen.set(k, n);
    out.push(n);
  }
  return out;
}

/** Of `list`, the unused socket whose inode comes next after `after` (sockets made right after it); else the first. */
function nextByInode(list: Sock[], after: number | null): Sock | undefined {
  if (after !== null) {
    let best: Sock | undefined;
    for (const s of list) if (s.inode !== null && s.inode > after && (!best || s.inode < best.inode!)) best = s;
    if (best) return best;
  }
  return list.length === 1 ? list[0] : undefined;
}

/**
 * Attribution on a rootless host: first the forwarder's connections (each accepted socket
 * in the host's namespace, followed to the container), then the usual passes over what is
 * left (containers dialling each other on a rootless bridge, and the rest).
 */
export class RootlessAttributor extends Attributor {
  private readonly rl: RootlessFacts;
  private readonly inner: Sock[];

  constructor(m: HostModel) {
    super(m);
    this.rl = m.rootless!;
    this.inner = viewSockets(this.rl.netns);
  }

  override run(): AttributedFlow[] {
    this.forwarderLegs();
    const flows = super.run();
    // a client socket to a published port with nothing else to show: on a rootless host the
    // forwarder relays every published port, whatever dockerd's userland-proxy setting says
    for (const f of flows) {
      if (f.reasons[0]?.kind === "client-only" && f.path === "docker-proxy") {
        f.path = "forwarder";
        f.pathDetail = this.rl.forwarder;
        f.proxy = null;
      }
    }
    return flows;
  }

  /** The container's accepted sockets the forwarder's flows already cite are no flows of their own. */
  protected override classifyServerLeg(s: Sock, c: ContainerInfo, gateway: string | null): void {
    if (!this.used.has(s)) super.classifyServerLeg(s, c, gateway);
  }

  private program(s: Sock): string {
    if (s.program) return base(s.program);
    const p: ProcessRecord | undefined = s.pid !== null ? this.m.processes.get(s.pid) : undefined;
    return base(p?.command);
  }

  private isForwarder(s: Sock): boolean {
    return FORWARDERS.has(this.program(s));
  }

  /**
   * The forwarder's sockets in the host's namespace; without socket owners (no -p), a socket
   * on a published port: on a rootless host nothing else holds one (no DNAT, no docker-proxy
   * in the host's namespace).
   */
  private heldByForwarder(s: Sock): boolean {
    if (s.pid !== null || s.program) return this.isForwarder(s);
    return !!this.ix.bindingFor(s.proto, s.localIp, s.localPort);
  }

  private forwarderLegs(): void {
    const listens = new Set<string>();
    for (const s of this.m.sockets) if (s.netns === "host" && (s.state === "LISTEN" || s.state === "UNCONN") && this.heldByForwarder(s)) listens.add(`${s.proto}|${s.localPort}|${s.pid}`);
    const fronts = this.m.sockets.filter((s) => s.netns === "host" && s.proto === "tcp" && OPEN_STATES.has(s.state) && s.remotePort !== null && this.heldByForwarder(s) && (listens.has(`${s.proto}|${s.localPort}|${s.pid}`) || listens.has(`${s.proto}|${s.localPort}|null`)));
    for (const front of fronts) this.tcpFlow(front);
    this.containerClients();
    this.udpFlows();
  }

  /** One TCP connection the forwarder accepted, followed to the container. */
  private tcpFlow(front: Sock): void {
    const binding = this.ix.bindingFor("tcp", front.localIp, front.localPort);
    const published = ep(front.localIp, front.localPort);
    const peer = ep(front.remoteIp, front.remotePort);
    const kind = this.ix.clientKind(peer.ip);
    const fwd = (this.program(front) || this.rl.forwarder) as "rootlessport" | "rootlesskit" | "slirp4netns";
    const f = this.newFlow({ proto: "tcp", state: front.state, client: { ip: peer.ip, port: peer.port, kind: kind.kind === "container" ? "host" : kind.kind, container: null }, published });
    this.use(f, front, `${fwd} accepted the client (host namespace)`);
    f.path = "forwarder";
    f.pathDetail = fwd;
    f.snat = false;
    f.proxy = { pid: front.pid, frontend: { local: published, remote: peer }, backend: null, pairing: "" };
    // the client's own socket in the host's namespace: a host process, or slirp4netns dialling out for a container
    const own = this.ix.find("tcp", peer, published, "host").find((s) => !this.used.has(s));
    let egress: Sock | null = null;
    const ownerless = !!own && own.pid === null && !own.program;
    if (own) {
      if (this.program(own) === "slirp4netns" || (ownerless && this.viaSlirp(own))) {
        egress = own;
        this.use(f, own, "slirp4netns dialled out for a container");
      } else this.use(f, own, "client socket (host)");
    }
    const target = binding?.container ? this.m.containers.find((c) => c.name === binding.container) : undefined;
    const cport = binding?.containerPort ?? null;
    f.container = target ? { name: target.name, ip: binding?.containerIp ?? target.addrs[0]?.ip ?? "unknown", port: cport } : null;
    // the forwarder's second connection, and the container's accepted socket at its end
    let hops: { from: Endpoint; to: Endpoint; via: string; pid: number | null }[] = [];
    let server: Sock | undefined;
    if (target && cport !== null) {
      const netns = `container:${target.name}`;
      const mine = (s: Sock) => !this.used.has(s) && s.proto === "tcp" && s.remotePort !== null && s.state !== "LISTEN";
      if (fwd === "rootlessport") {
        // rootlessport's child dials the container's own address from inside its namespace
        const backs = this.m.sockets.filter((s) => mine(s) && s.netns === netns && s.remotePort === cport && s.localIp === s.remoteIp && (front.pid === null || s.pid === null || s.pid === front.pid));
        const back = nextByInode(backs, front.inode);
        if (back) {
          this.use(f, back, `${fwd}'s connection inside ${target.name}'s namespace`);
          hops.push({ from: ep(back.localIp, back.localPort), to: ep(back.remoteIp, back.remotePort), via: fwd, pid: back.pid });
          server = this.m.sockets.find((s) => mine(s) && s.netns === netns && s.localPort === cport && s.remoteIp === back.localIp && s.remotePort === back.localPort);
        }
      } else if (fwd === "rootlesskit") {
        // rootlesskit's child dials 127.0.0.1:<host port> in its namespace; docker-proxy takes it there
        const child = nextByInode(this.inner.filter((s) => !this.used.has(s) && s.remotePort === front.localPort && (s.pid === null || s.pid === front.pid) && s.state !== "LISTEN"), front.inode);
        if (child) {
          this.use(f, child, "rootlesskit's connection inside its namespace");
          hops.push({ from: ep(child.localIp, child.localPort), to: ep(child.remoteIp, child.remotePort), via: "rootlesskit", pid: child.pid });
          const dp = this.inner.find((s) => !this.used.has(s) && s.localIp === child.remoteIp && s.localPort === child.remotePort && s.remoteIp === child.localIp && s.remotePort === child.localPort);
          if (dp) server = this.dockerProxyHop(f, dp, target, cport, hops, mine, netns);
        }
      } else if (fwd === "slirp4netns") {
        // slirp4netns (rootlesskit --port-driver=slirp4netns) sends the connection into rootlesskit's
        // namespace from the client's own address and port (a loopback client from slirp's
        // gateway): Docker's rules there DNAT it, or docker-proxy takes it
        const cts = (this.rl.netns?.conntrack ?? []).filter((e) => e.proto === "tcp" && e.original.sport === peer.port && e.original.dport === front.localPort && !this.used.has(e));
        const ct = cts.find((e) => e.original.src === peer.ip) ?? (cts.length === 1 ? cts[0] : undefined);
        if (!ct) {
          // without that namespace's view: the client's port survives, so the container's socket still names it
          const byPort = this.m.sockets.filter((s) => mine(s) && s.netns === netns && s.localPort === cport && s.remotePort === peer.port);
          const one = byPort.find((s) => s.remoteIp === peer.ip) ?? (byPort.length === 1 ? byPort[0] : undefined);
          if (one) {
            hops.push({ from: ep(one.remoteIp, one.remotePort), to: ep(one.localIp, one.localPort), via: "dnat", pid: null });
            server = one;
          }
        }
        if (ct) {
          this.use(f, ct, "conntrack entry in rootlesskit's namespace");
          if (ct.dnat) {
            hops.push({ from: ep(ct.original.src, ct.original.sport), to: ep(ct.reply.src, ct.reply.sport), via: "dnat", pid: null });
            server = this.m.sockets.find((s) => mine(s) && s.netns === netns && s.localIp === ct.reply.src && s.localPort === ct.reply.sport && s.remoteIp === ct.reply.dst && s.remotePort === ct.reply.dport);
            if (!server) f.containerSees = ep(ct.reply.dst, ct.reply.dport);
          } else {
            hops.push({ from: ep(ct.original.src, ct.original.sport), to: ep(ct.original.dst, ct.original.dport), via: "slirp4netns", pid: null });
            const dp = this.inner.find((s) => !this.used.has(s) && s.localPort === ct.original.dport && s.remoteIp === ct.original.src && s.remotePort === ct.original.sport);
            if (dp) server = this.dockerProxyHop(f, dp, target, cport, hops, mine, netns);
          }
        }
      }
      if (server) {
        this.use(f, server, `server socket in ${target.name}`);
        // a slirp4netns container has no address in inspect: its socket shows it
        if (f.container && f.container.ip === "unknown") f.container.ip = server.localIp;
      }
    }
    if (hops.length) {
      const last = hops[hops.length - 1]!;
      f.proxy.backend = { local: hops[0]!.from, remote: hops[0]!.to };
      f.proxy.pairing = fwd === "slirp4netns" ? "the client's address and port, kept by slirp4netns (conntrack in rootlesskit's namespace)" : front.inode !== null ? "the next socket of the forwarder by inode" : "the only candidate";
      f.containerSees = server ? ep(server.remoteIp, server.remotePort) : (f.containerSees ?? (last.via === "dnat" ? null : last.from));
    } else if (target && fwd === "rootlessport") {
      // without the container's table the rootlessport pattern still says what it sees: its own address
      f.containerSees = null;
    }
    f.confidence = server && hops.length ? (front.pid !== null ? "certain" : "likely") : hops.length ? "likely" : "possible";
    if (egress) f.client = { ip: "unknown", port: null, kind: "container", container: null };
    const maybeSlirp = ownerless && !egress && this.containerSocketsTo(published) > 0;
    f.reasons = [{ kind: "forwarder", forwarder: fwd, pid: front.pid, published, client: peer, viaSlirp: !!egress, maybeSlirp, hops, container: target?.name ?? null, sees: f.containerSees, engine: this.rl.engine }];
    if (egress) this.pending.push({ f, egress });
  }

  /** docker-proxy inside rootlesskit's namespace accepted `dp`: its connection to the container, and the container's socket at its end. */
  private dockerProxyHop(f: AttributedFlow, dp: Sock, target: ContainerInfo, cport: number, hops: { from: Endpoint; to: Endpoint; via: string; pid: number | null }[], mine: (s: Sock) => boolean, netns: string): Sock | undefined {
    this.use(f, dp, "docker-proxy accepted it (rootlesskit's namespace)");
    const back = nextByInode(this.inner.filter((s) => !this.used.has(s) && s !== dp && s.pid !== null && s.pid === dp.pid && s.remotePort === cport && target.addrs.some((a) => a.ip === s.remoteIp)), dp.inode);
    if (!back) return undefined;
    this.use(f, back, "docker-proxy's connection to the container (rootlesskit's namespace)");
    hops.push({ from: ep(back.localIp, back.localPort), to: ep(back.remoteIp, back.remotePort), via: "docker-proxy", pid: back.pid });
    return this.m.sockets.find((s) => mine(s) && s.netns === netns && s.localPort === cport && s.remoteIp === back.localIp && s.remotePort === back.localPort);
  }

  /**
   * Without socket owners: a host socket dialling a published port from a host address is
   * slirp4netns' when a container's own socket to the same address is waiting for a client
   * side and no host process of the bundle owns it.
   */
  private viaSlirp(s: Sock): boolean {
    const k = `${s.remoteIp}|${s.remotePort}`;
    let yes = this.slirpDial.get(k);
    if (yes === undefined) {
      // decided once per dialled address, before any of its sockets is taken
      const hostSide = this.m.sockets.filter((h) => h.netns === "host" && h.proto === s.proto && h.remoteIp === s.remoteIp && h.remotePort === s.remotePort && h.pid === null && !h.program && !this.used.has(h)).length;
      // as many container sockets to this address as owner-less host sockets: they are slirp4netns' for them
      this.slirpDial.set(k, (yes = hostSide > 0 && this.containerSocketsTo(ep(s.remoteIp, s.remotePort)) === hostSide));
    }
    return yes;
  }
  private readonly slirpDial = new Map<string, boolean>();

  private containerSocketsTo(dial: Endpoint): number {
    return this.m.sockets.filter((c) => c.netns.startsWith("container:") && c.proto === "tcp" && c.remoteIp === dial.ip && c.remotePort === dial.port && OPEN_STATES.has(c.state) && !this.used.has(c)).length;
  }

  /** Flows whose client is a container behind slirp4netns: waiting for their container's own socket. */
  private readonly pending: { f: AttributedFlow; egress: Sock }[] = [];

  /**
   * Containers dialling a published port: slirp4netns opens a new connection from the host,
   * so the forwarder sees the host's own address. The container's own socket to the
   * dialled address names the client; when several containers dialled the same address,
   * they are paired with slirp4netns' sockets in creation order (inodes are global).
   */
  private containerClients(): void {
    const byDial = new Map<string, { f: AttributedFlow; egress: Sock }[]>();
    for (const p of this.pending) {
      const k = `${p.egress.remoteIp}|${p.egress.remotePort}`;
      (byDial.get(k) ?? byDial.set(k, []).get(k)!).push(p);
    }
    for (const [k, list] of byDial) {
      const [ip, port] = [k.slice(0, k.lastIndexOf("|")), Number(k.slice(k.lastIndexOf("|") + 1))];
      const cands = this.m.sockets.filter((s) => !this.used.has(s) && s.proto === "tcp" && s.netns.startsWith("container:") && s.remoteIp === ip && s.remotePort === port && OPEN_STATES.has(s.state));
      if (cands.length !== list.length) continue;
      const byIno = (a: { inode: number | null }, b: { inode: number | null }) => (a.inode ?? 0) - (b.inode ?? 0);
      cands.sort(byIno);
      list.sort((a, b) => byIno(a.egress, b.egress));
      list.forEach(({ f }, i) => {
        const c = cands[i]!;
        const name = c.netns.slice("container:".length);
        f.client = { ip: c.localIp, port: c.localPort, kind: "container", container: name };
        this.use(f, c, `client socket (${c.netns})`);
        // a container on a bridge inside the rootless namespace is masqueraded there first
        const ct = this.rl.netns?.conntrack.find((e) => e.proto === "tcp" && e.original.src === c.localIp && e.original.sport === c.localPort && e.original.dst === ip && e.original.dport === port);
        if (ct) {
          this.use(f, ct, "conntrack entry in the rootless network namespace");
          f.snat = ct.snat;
        } else if (!this.rl.netns && this.m.containers.find((x) => x.name === name)?.addrs.some((a) => a.bridge !== null || a.gateway !== null)) {
          // a container on a bridge inside the rootless namespace: masqueraded there or not, only its conntrack would tell
          f.snat = null;
        }
        if (list.length > 1 || cands.length > 1) f.confidence = f.confidence === "certain" ? "likely" : f.confidence;
        const r = f.reasons[0];
        if (r?.kind === "forwarder") r.clientContainer = { name, local: ep(c.localIp, c.localPort), masqueraded: ct ? ep(ct.reply.dst, ct.reply.dport) : null, paired: list.length > 1 };
      });
    }
  }

  /**
   * The host address a client on one of the host's subnets reached a wildcard listener on:
   * the one address of the interface whose subnet holds the client (null when not exactly one).
   */
  private onLinkAddress(client: string, listener: string): string | null {
    if (listener !== "0.0.0.0" && listener !== "::") return null;
    const fam = familyOf(client);
    if (fam !== 4 && fam !== 6) return null;
    const hits = this.m.engineFacts[fam].interfaces.filter((i) => i.subnets.some((sn) => inCidr(client, sn) === true)).flatMap((i) => ((i as { addresses?: string[] }).addresses ?? []).filter((a: string) => familyOf(a) === fam && i.subnets.some((sn) => inCidr(a, sn) === true)));
    return hits.length === 1 ? hits[0]! : null;
  }

  /**
   * UDP through slirp4netns' port driver: slirp4netns sends the datagrams on into rootlesskit's
   * namespace from the client's own address and port (a loopback client from slirp's gateway),
   * where Docker's DNAT takes them: that namespace's conntrack names each client. A host client
   * with no entry there, while the namespace tracks the others, never got its datagrams through.
   */
  private udpSlirp(l: Sock, binding: { containerPort: number; containerIp: string | null }, target: ContainerInfo): void {
    const cts = (this.rl.netns?.conntrack ?? []).filter((e) => e.proto === "udp" && e.original.dport === l.localPort && e.dnat && target.addrs.some((a) => a.ip === e.reply.src) && !this.used.has(e));
    const clients = this.m.sockets.filter((s) => !this.used.has(s) && s.proto === "udp" && s.netns === "host" && s.remotePort === l.localPort && s.state !== "UNCONN" && s !== l && !this.isForwarder(s));
    const container = { name: target.name, ip: binding.containerIp ?? target.addrs[0]?.ip ?? "unknown", port: binding.containerPort };
    for (const ct of cts) {
      const c = clients.find((x) => !this.used.has(x) && x.localPort === ct.original.sport);
      const client = c ? { ip: c.localIp, port: c.localPort, ...this.ix.clientKind(c.localIp) } : { ip: ct.original.src, port: ct.original.sport, ...this.ix.clientKind(ct.original.src) };
      const onLink = c ? null : this.onLinkAddress(client.ip, l.localIp);
      const published = c ? ep(c.remoteIp, c.remotePort) : ep(onLink ?? l.localIp, l.localPort);
      const f = this.newFlow({ proto: "udp", state: ct.state ?? "ASSURED", client, published, container, containerSees: ep(ct.reply.dst, ct.reply.dport) });
      this.use(f, l, "slirp4netns' datagram listener (host namespace)");
      if (c) this.use(f, c, "client socket (host)");
      this.use(f, ct, "conntrack entry in rootlesskit's namespace");
      f.path = "forwarder";
      f.pathDetail = "slirp4netns";
      f.snat = ct.snat;
      // the address dialled is inferred (the listener holds every address) when the client was on a host subnet
      f.confidence = onLink ? "likely" : "certain";
      f.proxy = { pid: l.pid, frontend: null, backend: { local: ep(ct.original.src, ct.original.sport), remote: ep(ct.original.dst, ct.original.dport) }, pairing: "the client's port, kept by slirp4netns (conntrack in rootlesskit's namespace)" };
      f.reasons = [{ kind: "forwarder", forwarder: "slirp4netns", pid: l.pid, published, client: ep(client.ip, client.port), viaSlirp: false, maybeSlirp: false, hops: [{ from: ep(ct.original.src, ct.original.sport), to: ep(ct.reply.src, ct.reply.sport), via: "dnat", pid: null }], container: target.name, sees: f.containerSees, engine: this.rl.engine }];
    }
    const tracked = (this.rl.netns?.conntrack ?? []).some((e) => e.proto === "udp" || e.proto === "tcp");
    for (const c of clients) {
      if (this.used.has(c)) continue;
      const published = ep(c.remoteIp, c.remotePort);
      const f = this.newFlow({ proto: "udp", state: c.state, client: { ip: c.localIp, port: c.localPort, ...this.ix.clientKind(c.localIp) }, published, container });
      this.use(f, l, "slirp4netns' datagram listener (host namespace)");
      this.use(f, c, "client socket (host)");
      f.path = "forwarder";
      f.pathDetail = "slirp4netns";
      f.snat = false;
      f.confidence = tracked ? "likely" : "possible";
      if (tracked) f.outcome = "failed";
      f.reasons = [{ kind: "forwarder-udp", forwarder: "slirp4netns", pid: l.pid, published, paired: false, clientKnown: true, container: target.name, sees: null, viaDockerProxy: false, conntrackInBundle: this.m.present.conntrack, undelivered: tracked }];
    }
  }

  /**
   * UDP: the forwarder's listener is not connected, so the host's tables hold no socket per
   * client; each of its datagram legs into a container is one flow, paired with a host
   * client's connected socket when there is one (creation order), else its client is unknown.
   */
  private udpFlows(): void {
    const listeners = this.m.sockets.filter((s) => s.netns === "host" && s.proto === "udp" && s.state === "UNCONN" && this.heldByForwarder(s));
    for (const l of listeners) {
      const binding = this.ix.bindingFor("udp", l.localIp, l.localPort);
      const target = binding?.container ? this.m.containers.find((c) => c.name === binding.container) : undefined;
      if (!binding || !target) continue;
      const netns = `container:${target.name}`;
      const fwd = (this.program(l) || this.rl.forwarder) as "rootlessport" | "rootlesskit" | "slirp4netns";
      if (fwd === "slirp4netns") {
        this.udpSlirp(l, binding, target);
        continue;
      }
      // the forwarder's datagram legs: rootlessport's inside the container's namespace (to its own
      // address); rootlesskit's inside its namespace (to 127.0.0.1:<host port>, where docker-proxy
      // relays them to the container from the bridge gateway)
      const mineUdp = (s: Sock) => !this.used.has(s) && s.proto === "udp" && (l.pid === null || s.pid === null || s.pid === l.pid);
      const legs = fwd === "rootlessport"
        ? this.m.sockets.filter((s) => mineUdp(s) && s.netns === netns && s.remotePort === binding.containerPort && s.localIp === s.remoteIp)
        : fwd === "rootlesskit" ? this.inner.filter((s) => mineUdp(s) && s.remotePort === l.localPort && s.state !== "UNCONN") : [];
      // docker-proxy's connected legs to the container, in creation order, one per rootlesskit leg
      const relays = fwd === "rootlesskit" ? this.inner.filter((s) => !this.used.has(s) && s.proto === "udp" && s.state !== "UNCONN" && s.remotePort === binding.containerPort && target.addrs.some((a) => a.ip === s.remoteIp) && this.program(s) === "docker-proxy") : [];
      const relayOf = new Map<Sock, Sock>();
      if (relays.length === legs.length) {
        const byIno = (a: Sock, b: Sock) => (a.inode ?? 0) - (b.inode ?? 0);
        const ls = [...legs].sort(byIno);
        [...relays].sort(byIno).forEach((r, i) => relayOf.set(ls[i]!, r));
      }
      const clients = this.m.sockets.filter((s) => !this.used.has(s) && s.proto === "udp" && s.netns === "host" && s.remotePort === l.localPort && s.state !== "UNCONN" && s !== l && !this.isForwarder(s));
      /**
       * [datagram leg, the host client's socket]. A leg is paired with a client only when there
       * is one of each: the forwarder's legs are remade after an idle time, so their inodes do not
       * follow the clients'. Otherwise the clients get flows of their own (what the container sees:
       * the legs' common address, the port unknown) and the legs left over flows with unknown clients.
       */
      const pairs: [Sock | null, Sock | null][] = [];
      if (clients.length === 1 && legs.length === 1) pairs.push([legs[0]!, clients[0]!]);
      else {
        for (const c of clients) pairs.push([null, c]);
        const spare = legs.length - clients.length;
        for (let i = 0; i < spare; i++) pairs.push([spare === 1 && clients.length === 0 ? legs[0]! : null, null]);
      }
      const seenAt = (x: Sock) => { const r = relayOf.get(x); return r ? r.localIp : fwd === "rootlessport" ? x.localIp : null; };
      const sharedIp = legs.length && legs.every((x) => seenAt(x) !== null && seenAt(x) === seenAt(legs[0]!)) ? seenAt(legs[0]!) : null;
      for (const [leg, c] of pairs) {
        const published = c ? ep(c.remoteIp, c.remotePort) : ep(l.localIp, l.localPort);
        const relay = leg ? relayOf.get(leg) : undefined;
        const sees = relay ? ep(relay.localIp, relay.localPort) : leg && fwd === "rootlessport" ? ep(leg.localIp, leg.localPort) : sharedIp ? ep(sharedIp, null) : null;
        const f = this.newFlow({
          proto: "udp",
          state: "UNCONN",
          client: c ? { ip: c.localIp, port: c.localPort, ...this.ix.clientKind(c.localIp) } : { ip: "unknown", port: null, kind: "unknown", container: null },
          published,
          // a slirp4netns container has no address in inspect: the leg to its own address shows it
          container: { name: target.name, ip: binding.containerIp ?? target.addrs[0]?.ip ?? (leg ?? legs[0])?.remoteIp ?? "unknown", port: binding.containerPort },
          containerSees: sees,
        });
        this.use(f, l, `${fwd}'s datagram listener (host namespace)`);
        if (c) this.use(f, c, "client socket (host)");
        if (leg) this.use(f, leg, fwd === "rootlessport" ? `${fwd}'s datagram leg inside ${target.name}'s namespace` : `${fwd}'s datagram leg inside its namespace`);
        if (relay) this.use(f, relay, "docker-proxy's datagram leg to the container (rootlesskit's namespace; paired by creation order)");
        // unpaired: every leg is a candidate; cited, not taken
        if (!leg) for (const x of legs) f.evidence = [...f.evidence, { file: x.source.file, line: x.source.line, note: `one of ${legs.length} datagram legs of ${fwd}: which is this client's is not shown`, text: undefined }];
        f.path = "forwarder";
        f.pathDetail = fwd;
        f.snat = false;
        f.confidence = c && leg && l.pid !== null ? "likely" : "possible";
        if (leg || c) this.used.add(l);
        f.proxy = { pid: l.pid, frontend: c ? { local: published, remote: ep(c.localIp, c.localPort) } : null, backend: leg ? { local: ep(leg.localIp, leg.localPort), remote: ep(leg.remoteIp, leg.remotePort) } : null, pairing: c && leg ? "the next datagram leg by inode" : "" };
        f.reasons = [{ kind: "forwarder-udp", forwarder: fwd, pid: l.pid, published, paired: !!(c && leg), clientKnown: !!c, container: target.name, sees, viaDockerProxy: !!relay, conntrackInBundle: this.m.present.conntrack, undelivered: false }];
      }
    }
  }
}

/** The flows stage on a rootless host. */
export function attributeRootless(m: HostModel): AttributedFlow[] {
  return new RootlessAttributor(m).run();
}

/** `--what-if` on a rootless host: not modelled; the forwarder, not dockerd's setting, decides the paths. */
export function rootlessWhatIf(change: Change, rl: RootlessFacts): HostWhatIf {
  const text =
    `not answered for a rootless engine: ${rl.forwarder} relays every published port in the host's namespace whatever dockerd's userland-proxy setting` +
    (rl.engine === "docker" ? " (which changes only the hop inside rootlesskit's namespace: docker-proxy or DNAT there); the containers keep seeing the forwarder, not the client" : " (rootless Podman has none)");
  return { change, verdict: "unknown", text, breaks: [], unknown: [], wouldWork: [], missing: [], atRisk: [], counts: { works: 0, breaks: 0, unknown: 0 } };
}
