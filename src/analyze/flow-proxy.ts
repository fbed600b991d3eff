/**
 * Attribution passes for docker-proxy: pair a proxy's backend leg with its
 * frontend (accepted client connection), UDP senders, and frontends whose
 * backend was not seen.
 */
import type { ContainerInfo, Sock } from "./model.js";
import { isLocal } from "./model.js";
import { AttributionCore, ep } from "./flow-core.js";
import type { AttributedFlow } from "./flow-types.js";

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
      f.client = { ip: frontend.remoteIp, port: frontend.remotePort, ...this.ix.clientKind(frontend.remoteIp) };
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
    const socks = this.ix.socketsToPorts("udp", ports).filter((x) => !this.used.has(x) && isLocal(this.m, x.remoteIp) && this.ix.isProxySock(x) !== true);
    const cts = this.ix.ctWithDport("udp", ports).filter((x) => !this.used.has(x) && !x.dnat && !x.snat && isLocal(this.m, x.original.dst));
    const client = socks.length === 1 ? ep(socks[0]!.localIp, socks[0]!.localPort) : cts.length === 1 ? ep(cts[0]!.original.src, cts[0]!.original.sport) : null;
    if (!client) return false;
    const dialled = socks.length === 1 ? ep(socks[0]!.remoteIp, socks[0]!.remotePort) : ep(cts[0]!.original.dst, cts[0]!.original.dport);
    f.client = { ip: client.ip, port: client.port, ...this.ix.clientKind(client.ip, socks[0]?.netns) };
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
        client: { ip: s.remoteIp, port: s.remotePort, ...this.ix.clientKind(s.remoteIp) },
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
      f.reasons = [{ kind: "proxy-frontend-only", pid: s.pid, remote: ep(s.remoteIp, s.remotePort), published: f.published, ownerInferred: !owner, container: b.container, closed: s.state === "TIME_WAIT" }];
    }
  }
}
