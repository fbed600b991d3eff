/**
 * The host model's tables of connections (model.ts builds the model with
 * them): every socket listing merged into one Sock per socket and netns
 * (mergeSockets), the host's sockets that do not touch Docker left out
 * (touchesDocker), and the conntrack entries by tuple (ConntrackIndex).
 * These hold what a big host has hundreds of thousands of; the rest of the
 * model (containers, bindings, facts) is small.
 */
import type { BundleConntrack, BundleSocket } from "./bundle.js";
import { TupleMap } from "./tuple-map.js";
import type { ProcessRecord } from "../types.js";
import type { ContainerInfo, Sock } from "./model.js";

/**
 * Conntrack entries by their reply tuple and by their original tuple. The same
 * entry can be listed twice (conntrack -L and /proc/net/nf_conntrack): the
 * first one listed wins.
 */
export class ConntrackIndex {
  /** Keyed by the reply source first: the container's (or server's) end. */
  private readonly reply = new TupleMap<BundleConntrack>();
  /** Keyed by the original destination first: the end that was dialled. */
  private readonly original = new TupleMap<BundleConntrack>();

  add(c: BundleConntrack): void {
    const r = c.reply;
    const o = c.original;
    this.reply.add(c.proto, r.src, r.sport, r.dst, r.dport, c);
    this.original.add(c.proto, o.dst, o.dport, o.src, o.sport, c);
  }
  /** The entry whose reply tuple is src:sport -> dst:dport. */
  byReply(proto: string, src: string, sport: number | null, dst: string, dport: number | null): BundleConntrack | undefined {
    return this.reply.get(proto, src, sport, dst, dport);
  }
  /** The entry whose original tuple is src:sport -> dst:dport. */
  byOriginal(proto: string, src: string, sport: number | null, dst: string, dport: number | null): BundleConntrack | undefined {
    return this.original.get(proto, dst, dport, src, sport);
  }
  /** The entries byReply finds, in dump order. */
  replies(): readonly BundleConntrack[] {
    return this.reply.values();
  }
  /** The entries byOriginal finds, in dump order. */
  originals(): readonly BundleConntrack[] {
    return this.original.values();
  }
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

export function isDockerProxyName(program: string | null | undefined): boolean {
  return !!program && basename(program).startsWith("docker-proxy");
}

export function isDockerdName(program: string | null | undefined): boolean {
  if (!program) return false;
  const b = basename(program);
  return b === "dockerd" || b === "dockerd-current";
}

/** `pid:N` from a path becomes the container whose State.Pid is N; no hint means the host. */
function resolveNetns(hint: string | null, byPid: Map<number, ContainerInfo>, names: ReadonlySet<string>): string {
  if (!hint || hint === "host") return "host";
  const m = /^pid:(\d+)$/.exec(hint);
  if (m) {
    const c = byPid.get(Number(m[1]));
    return c ? `container:${c.name}` : hint;
  }
  // `--netns web=FILE` (or a sosreport namespace folder) naming a container
  if (hint.startsWith("netns:") && names.has(hint.slice(6))) return `container:${hint.slice(6)}`;
  return hint;
}

/**
 * What analysis looks at of the host's own sockets: listeners, and every socket
 * that touches a container address, a published port, docker-proxy or dockerd.
 * The rest (a busy host's unrelated traffic) is left out of the model.
 */
export function touchesDocker(r: BundleSocket, byIp: ReadonlyMap<string, unknown>, published: ReadonlySet<number>, processes: Map<number, ProcessRecord>): boolean {
  if (r.state === "LISTEN" || r.state === "UNCONN") return true;
  if (byIp.has(r.localIp) || byIp.has(r.remoteIp)) return true;
  if (published.has(protoPortCode(r.proto, r.localPort)) || published.has(protoPortCode(r.proto, r.remotePort))) return true;
  if (isDockerProxyName(r.program) || isDockerdName(r.program)) return true;
  const p = r.pid !== null ? processes.get(r.pid) : undefined;
  return !!p && (p.dockerProxy !== null || p.dockerd !== null);
}

/** A socket protocol and port as one number (for sets of published ports); -1 for other protocols. */
export function protoPortCode(proto: string, port: number | null): number {
  const p = port ?? 65536;
  return proto === "tcp" ? p : proto === "udp" ? 65537 + p : -1;
}

export function mergeSockets(
  records: BundleSocket[],
  byPid: Map<number, ContainerInfo>,
  names: ReadonlySet<string>,
  processes: Map<number, ProcessRecord>,
  relevant: (r: BundleSocket) => boolean,
): Sock[] {
  const byNetns = new Map<string, TupleMap<Sock>>();
  const out: Sock[] = [];
  // one netns string per hint, not one per record
  const netnsOf = new Map<string | null, string>();
  for (const r of records) {
    if (r.flags.includes("truncated") || r.flags.includes("unresolved")) continue;
    let netns = netnsOf.get(r.netns);
    if (netns === undefined) netnsOf.set(r.netns, (netns = resolveNetns(r.netns, byPid, names)));
    if (netns === "host" && !relevant(r)) continue;
    let map = byNetns.get(netns);
    if (!map) byNetns.set(netns, (map = new TupleMap()));
    let s = map.get(r.proto, r.localIp, r.localPort, r.remoteIp, r.remotePort);
    if (!s) {
      s = {
        netns,
        proto: r.proto,
        family: r.family,
        localIp: r.localIp,
        localPort: r.localPort,
        remoteIp: r.remoteIp,
        remotePort: r.remotePort,
        state: r.state,
        pid: null,
        program: null,
        inode: null,
        source: r.source,
        ssMapped: false,
        usedBy: null,
      };
      map.add(r.proto, r.localIp, r.localPort, r.remoteIp, r.remotePort, s);
      out.push(s);
    }
    if (!s.ssMapped && r.format === "ss" && r.localIp === "::" && r.flags.includes("mapped")) s.ssMapped = true;
    if (s.pid === null && r.pid !== null) s.pid = r.pid;
    if (s.inode === null && r.inode !== null) s.inode = r.inode;
    if (s.program === null && r.program) s.program = r.program;
    if (s.state === "UNKNOWN") s.state = r.state;
  }
  for (const s of out) {
    const p = s.pid !== null ? processes.get(s.pid) : undefined;
    if (p && (!s.program || s.program.length >= 15)) s.program = p.dockerProxy ? "docker-proxy" : p.command;
  }
  return out;
}
