/**
 * Attribution passes for docker-proxy: pair a proxy's backend leg with its
 * frontend (accepted client connection), UDP senders, and frontends whose
 * backend was not seen.
 */
import type { ContainerInfo, Sock } from "./model.js";
import { isLocal } from "./model.js";
import type { BundleConntrack } from "./bundle.js";
import { familyOf, isLoopback } from "../net/index.js";
import { AttributionCore, clientOf, ep } from "./flow-core.js";
import type { AttributedFlow, Endpoint } from "./flow-types.js";

/** The evidence note of docker-proxy's UDP reply sent from another address than the one dialled (udpStrayReplies; the what-if reads it). */
export const UDP_REPLY_ELSEWHERE = "docker-proxy's reply, from another address than the one dialled (UNREPLIED)";

export class ProxyPasses extends AttributionCore {
  protected proxyFlow(f: AttributedFlow, backend: Sock, c: ContainerInfo, ctProof: boolean): void {
    f.path = "docker-proxy";
    f.pathDetail = "docker-proxy";
    f.snat = false;
    const pid = backend.pid;
    const candidates = this.ix.frontendsFor(backend.proto, backend.remoteIp, backend.remotePort).filter((s) => !this.used.has(s) && (pid === null || s.pid === null || s.pid === pid));
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
      f.client = clientOf(frontend.remoteIp, frontend.remotePort, this.ix.clientKind(frontend.remoteIp));
      f.published = ep(frontend.localIp, frontend.localPort);
      this.attachClient(f, f.published);
      f.confidence = pairing.startsWith("only frontend") && ctProof !== undefined ? "certain" : pairing.startsWith("inode") ? "likely" : "possible";
      if (pid === null) f.confidence = "possible";
      const ctFront = this.m.ct.byOriginal(frontend.proto, frontend.remoteIp, frontend.remotePort, frontend.localIp, frontend.localPort);
      if (ctFront) this.use(f, ctFront, "conntrack entry of the client leg (not NATed)");
      f.reasons = [{ kind: "proxy-paired", who: { kind: f.client.kind, container: f.client.container, ip: f.client.ip }, published: f.published, pid, backendLocal: f.proxy.backend!.local, backendRemote: f.proxy.backend!.remote, container: c.name, pairing }];
    } else if (backend.proto === "udp" && this.udpClient(f, backend.remoteIp, backend.remotePort)) {
      f.reasons = [{ kind: "proxy-udp", who: { kind: f.client.kind, container: f.client.container, ip: f.client.ip }, published: f.published, pid, backendLocal: f.proxy.backend!.local, container: c.name }];
      f.confidence = "likely";
    } else {
      f.client = { ip: "unknown", port: null, kind: "unknown", container: null };
      f.confidence = pid !== null ? "likely" : "possible";
      f.reasons = [{ kind: "proxy-client-unknown", pid, backendLocal: f.proxy.backend!.local, container: c.name }];
    }
  }

  /**
   * UDP through docker-proxy leaves no accepted socket: the client is the only
   * un-NATed sender to the proxied host port (its socket, or its conntrack entry).
   */
  protected udpClient(f: AttributedFlow, cip: string, cport: number | null): boolean {
    const proxied = this.ix.bindingsForContainer(cip, cport).filter((b) => b.proto === "udp" && b.proxyPids.length);
    const ports = new Set(proxied.map((b) => b.hostPort));
    // the proxy's own binding says which family of clients it serves (20.10 runs one per family)
    const pid = f.proxy?.pid ?? null;
    const mine = pid !== null ? proxied.find((b) => b.proxyPids.includes(pid)) : undefined;
    const fam = mine ? (mine.hostIp !== null ? familyOf(mine.hostIp) : mine.hostFamily) : null;
    const socks = this.ix
      .socketsToPorts("udp", ports)
      .filter((x) => !this.used.has(x) && isLocal(this.m, x.remoteIp) && this.ix.isProxySock(x) !== true && (fam === null || familyOf(x.remoteIp) === fam) && !this.m.ct.byOriginal("udp", x.localIp, x.localPort, x.remoteIp, x.remotePort)?.dnat);
    const cts = this.ix.ctWithDport("udp", ports).filter((x) => !this.used.has(x) && !x.dnat && !x.snat && isLocal(this.m, x.original.dst) && (fam === null || familyOf(x.original.dst) === fam));
    const client = socks.length === 1 ? ep(socks[0]!.localIp, socks[0]!.localPort) : cts.length === 1 ? ep(cts[0]!.original.src, cts[0]!.original.sport) : null;
    if (!client) return false;
    const dialled = socks.length === 1 ? ep(socks[0]!.remoteIp, socks[0]!.remotePort) : ep(cts[0]!.original.dst, cts[0]!.original.dport);
    f.client = clientOf(client.ip, client.port, this.ix.clientKind(client.ip, socks[0]?.netns));
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

  /**
   * UDP through one docker-proxy from several senders: the proxy keeps a
   * connected backend socket per sender (from the bridge gateway), but UDP
   * leaves no accepted socket to say which backend serves which sender. Each
   * sender (its socket, or its un-NATed conntrack entry to the proxied port)
   * becomes a flow through that proxy; the container sees the gateway, on a
   * port the capture cannot tell. The backend sockets are cited in creation
   * order (inode), as evidence of the group, not as a proven pairing.
   */
  protected udpProxyGroups(): void {
    const byPid = new Map<number, Sock[]>();
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.proto !== "udp" || s.netns !== "host" || s.pid === null || s.remotePort === null || s.state === "UNCONN") continue;
      if (!this.m.byIp.get(s.remoteIp) || this.ix.isProxySock(s) !== true) continue;
      const list = byPid.get(s.pid);
      if (list) list.push(s);
      else byPid.set(s.pid, [s]);
    }
    for (const [pid, backs] of byPid) {
      const b = this.m.bindings.find((x) => x.proto === "udp" && x.proxyPids.includes(pid));
      const target = this.m.byIp.get(backs[0]!.remoteIp)!;
      if (!b) continue;
      const fam = b.hostIp !== null ? familyOf(b.hostIp) : b.hostFamily;
      const served = (ip: string) => isLocal(this.m, ip) && (b.hostIp === null ? fam === null || familyOf(ip) === fam : ip === b.hostIp);
      const senders = new Map<string, { client: Endpoint; dialled: Endpoint; sock?: Sock; ct?: BundleConntrack }>();
      for (const x of this.ix.socketsToPorts("udp", new Set([b.hostPort]))) {
        if (this.used.has(x) || x.remotePort !== b.hostPort || !served(x.remoteIp) || this.ix.isProxySock(x) === true) continue;
        // a sender whose datagrams conntrack shows DNATed never reached the proxy; without an entry, a
        // host process dialling a non-loopback address is DNATed by nat OUTPUT (as clientLegs reads it)
        const ct = this.m.ct.byOriginal("udp", x.localIp, x.localPort, x.remoteIp, x.remotePort);
        if (ct ? ct.dnat : x.netns === "host" && !isLoopback(x.remoteIp)) continue;
        senders.set(`${x.localIp}|${x.localPort}`, { client: ep(x.localIp, x.localPort), dialled: ep(x.remoteIp, x.remotePort), sock: x });
      }
      for (const x of this.ix.ctWithDport("udp", new Set([b.hostPort]))) {
        if (this.used.has(x) || x.dnat || x.snat || !served(x.original.dst)) continue;
        const k = `${x.original.src}|${x.original.sport}`;
        const have = senders.get(k);
        if (have) have.ct = x;
        else senders.set(k, { client: ep(x.original.src, x.original.sport), dialled: ep(x.original.dst, x.original.dport), ct: x });
      }
      // one sender and one backend: proxyFlow pairs them (udpClient)
      if (senders.size === 0 || (senders.size === 1 && backs.length === 1)) continue;
      const order = [...senders.values()].sort((x, y) => (x.sock?.inode ?? Infinity) - (y.sock?.inode ?? Infinity));
      const backends = [...backs].sort((x, y) => (x.inode ?? Infinity) - (y.inode ?? Infinity));
      const gw = backends[0]!.localIp;
      const pairing = `one of ${order.length} UDP sender${order.length > 1 ? "s" : ""} in the capture for ${backends.length} backend socket${backends.length > 1 ? "s" : ""} of this docker-proxy (UDP keeps no accepted socket: which backend socket is whose is not in the capture)`;
      order.forEach((x, i) => {
        const back = backends[i];
        const f = this.newFlow({
          proto: "udp",
          state: x.ct?.state ?? (x.ct?.flags.includes("UNREPLIED") ? "UNREPLIED" : x.ct?.flags.includes("ASSURED") ? "ASSURED" : (x.sock?.state ?? "UNCONN")),
          client: clientOf(x.client.ip, x.client.port, this.ix.clientKind(x.client.ip, x.sock?.netns)),
          published: x.dialled,
          container: { name: target.container.name, ip: backends[0]!.remoteIp, port: backends[0]!.remotePort },
          containerSees: ep(gw, null),
        });
        // UDP datagrams got through whatever conntrack says of the replies (the sender's socket is still there)
        f.outcome = "open";
        if (x.sock) this.use(f, x.sock, `client socket (${x.sock.netns})`);
        if (x.ct) this.use(f, x.ct, "conntrack entry of the client leg (not NATed)");
        if (back) {
          this.use(f, back, `a backend socket of docker-proxy ${pid} (${pairing.split(" (")[0]})`);
          const bct = this.m.ct.byOriginal("udp", back.localIp, back.localPort, back.remoteIp, back.remotePort);
          if (bct) this.use(f, bct, "conntrack entry of that backend leg");
        }
        this.attachClient(f, x.dialled);
        f.path = "docker-proxy";
        f.pathDetail = "docker-proxy";
        f.snat = false;
        f.confidence = "likely";
        f.proxy = { pid, frontend: { local: x.dialled, remote: x.client }, backend: null, pairing };
        f.reasons = [{ kind: "proxy-udp-group", who: { kind: f.client.kind, container: f.client.container, ip: f.client.ip }, published: x.dialled, pid, gateway: gw, container: target.container.name, senders: order.length, backends: backends.length }];
      });
      // more backends than senders: the rest go to proxyFlow (client unknown)
    }
  }

  /**
   * docker-proxy before 28.0 (moby#48571) answers a UDP sender from the address
   * the route picks, not the one dialled: for a container client that is the
   * bridge's, and the sender's connected socket drops the reply. conntrack shows
   * each such reply as an UNREPLIED entry from the host to the sender: cite it on
   * the sender's flow, and say so.
   */
  protected udpStrayReplies(): void {
    for (const f of this.flows) {
      if (f.proto !== "udp" || f.path !== "docker-proxy" || f.client.port === null || !f.published) continue;
      const stray = this.ix.ctWithDport("udp", new Set([f.client.port])).find(
        (x) => !this.used.has(x) && x.original.dst === f.client.ip && x.original.sport === f.published!.port && x.original.src !== f.published!.ip && isLocal(this.m, x.original.src) && x.flags.includes("UNREPLIED"),
      );
      if (!stray) continue;
      this.use(f, stray, UDP_REPLY_ELSEWHERE);
      f.reasons = [...f.reasons, { kind: "udp-reply-elsewhere", from: ep(stray.original.src, stray.original.sport), dialled: f.published }];
    }
  }

  /** Proxy frontends whose backend leg was not seen (container namespaces missing, or pairing failed). */
  protected proxyFrontends(): void {
    for (const s of this.m.sockets) {
      if (this.used.has(s) || s.netns !== "host" || s.state === "LISTEN" || s.state === "UNCONN" || s.remotePort === null) continue;
      if (!isLocal(this.m, s.localIp) || s.localPort === null) continue;
      const b = this.ix.bindingFor(s.proto, s.localIp, s.localPort);
      if (!b || !b.proxyPids.length) continue;
      const owner = this.ix.isProxySock(s);
      if (owner === false) continue;
      const f = this.newFlow({
        proto: s.proto,
        state: s.state,
        client: clientOf(s.remoteIp, s.remotePort, this.ix.clientKind(s.remoteIp)),
        published: ep(s.localIp, s.localPort),
        container: b.container ? { name: b.container, ip: b.containerIp ?? "unknown", port: b.containerPort } : null,
      });
      this.use(f, s, "docker-proxy frontend (accepted client connection)");
      f.path = "docker-proxy";
      f.pathDetail = "docker-proxy";
      f.snat = false;
      // an orphaned or owner-less frontend: the one docker-proxy ps shows for this address and port is its owner (docker-paths §4.5 step 1)
      const pid = s.pid ?? (b.proxyPids.length === 1 ? b.proxyPids[0]! : null);
      f.proxy = { pid, frontend: { local: ep(s.localIp, s.localPort), remote: ep(s.remoteIp, s.remotePort) }, backend: null, pairing: "none" };
      f.confidence = owner ? "likely" : "possible";
      this.attachClient(f, f.published!);
      f.reasons = [{ kind: "proxy-frontend-only", pid, remote: ep(s.remoteIp, s.remotePort), published: f.published, ownerInferred: !owner, container: b.container, closed: s.state === "TIME_WAIT" }];
    }
  }
}
