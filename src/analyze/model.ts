/**
 * The host model: what the bundle says about the Docker host, each fact with
 * the evidence behind it. Built once from a Bundle; pure.
 */
import { CACHE_MAX, familyOf, inCidr, isLocalAddr, normalizeAddr, subnetOf } from "../net/index.js";
import type { Bundle } from "./bundle.js";
import { tableCoverage, type HostFacts, type InterfaceFacts, type TableCoverage } from "../engine/index.js";
import { bridgesFromAddresses, bridgesFromRules, buildFacts, dedupeRules, gatewaysFromSockets, isHostAddress } from "./facts.js";
import { unnamedContainers } from "./unnamed-containers.js";
import { proxiesFromSockets } from "./proxy-sockets.js";
import { ConntrackIndex, mergeSockets, protoPortCode, touchesDocker } from "./model-sockets.js";
import { dnatRules, fingerprintBackend, fingerprintProxy, fingerprintVersion, firewallState } from "./fingerprint.js";
import type { ByteSource } from "../input/read.js";
import { applyRootless, fingerprintRootless, splitNamespaceViews, type RootlessFacts } from "./rootless-facts.js";
import type {
  ChainRecord,
  Diagnostic,
  InputSummary,
  ProcessRecord,
  RuleRecord,
  SocketRecord,
  SettingRecord,
  SourceRef,
} from "../types.js";

export { ConntrackIndex, isDockerProxyName, isDockerdName } from "./model-sockets.js";

export interface Evidence {
  file: string;
  line: number;
  /** Filled in at output time from the input files (or a rule's own text). */
  text?: string;
  /** Why this line matters, in a few words. */
  note?: string;
}

/**
 * An evidence item. Every item gets all four properties, `note` and `text`
 * undefined when absent (JSON leaves those out, so the report's bytes are the
 * same): the evidence stage fills `text` in later, and a property added to an
 * object after it was made costs a separate property store per object (half a
 * million items on a big host).
 */
export function ev(source: SourceRef, note?: string, text?: string): Evidence {
  return { file: source.file, line: source.line, note: note ? note : undefined, text: text ? text : undefined };
}

export interface ContainerAddr {
  ip: string;
  family: 4 | 6;
  network: string;
  gateway: string | null;
  bridge: string | null;
}

export interface ContainerInfo {
  name: string;
  id: string;
  pid: number | null;
  addrs: ContainerAddr[];
  source: SourceRef;
  /** `--network host`: no address of its own; its sockets are the host's, owned by its processes. */
  hostNetwork: boolean;
}

/** A published port: (proto, host ip, host port) -> (container ip, container port). */
export interface Binding {
  proto: string;
  /** null = every host address (0.0.0.0 / ::). */
  hostIp: string | null;
  hostPort: number;
  hostFamily: 4 | 6 | null;
  container: string | null;
  containerIp: string | null;
  containerPort: number;
  /** docker-proxy processes serving it. */
  proxyPids: number[];
  evidence: Evidence[];
  from: Set<"inspect" | "docker-ps" | "docker-proxy" | "dnat-rule">;
  /** containerIp is one of several addresses of the container (inspect of a container on several networks): docker-proxy's or a DNAT rule's replaces it. */
  ipGuessed: boolean;
}

/**
 * One socket as seen by every source that listed it (proc, ss, netstat): the
 * record fields of the first listing (`source` is its evidence), with the
 * owner and inode of whichever listing had them.
 */
export interface Sock
  extends Pick<SocketRecord, "proto" | "family" | "localIp" | "localPort" | "remoteIp" | "remotePort" | "state" | "pid" | "program" | "inode" | "source"> {
  /** `host`, `container:NAME`, or the record's hint when no container matches it. */
  netns: string;
  /** Some ss record of it is an IPv4-mapped listener on `::` (dual-stack). */
  ssMapped: boolean;
  /** The attribution run that made it part of a flow (UsedLegs in flow-core.ts); null before. */
  usedBy?: object | null;
}

export interface Fact<T> {
  value: T;
  evidence: Evidence[];
  /** How it was decided, for people. */
  how: string;
}

export interface HostModel {
  name: string | null;
  localAddrs: Set<string>;
  localAddrsInferred: boolean;
  bridges: { name: string; subnets: string[]; gateways: string[]; network: string | null }[];
  containers: ContainerInfo[];
  byIp: Map<string, { container: ContainerInfo; addr: ContainerAddr }>;
  byPid: Map<number, ContainerInfo>;
  bindings: Binding[];
  processes: Map<number, ProcessRecord>;
  sockets: Sock[];
  /** Conntrack entries by their reply tuple and by their original tuple. */
  ct: ConntrackIndex;
  userlandProxy: Fact<"on" | "off" | "unknown">;
  firewallBackend: Fact<"iptables" | "nftables" | "unknown">;
  /** What the rule dumps show of the host's firewall as a whole (docker-paths §1.10: absence is evidence). */
  firewall: Fact<FirewallState> & { backend: FirewallDumpBackend; byFamily: Record<4 | 6, Fact<FirewallState>> };
  /** The container engine the bundle names (docker inspect vs podman's files and processes). */
  engine: Fact<EngineKind>;
  /** A rootless engine (src/analyze/rootless.ts): its forwarder and its network namespace's own view; null on other hosts. */
  rootless: RootlessFacts | null;
  /** Processes of `--network host` containers (State.Pid and its descendants in ps), by pid. */
  hostNetPids: Map<number, ContainerInfo>;
  dockerVersion: Fact<string>;
  /** The rule tables, each once (dedupeRules): what the rule engine walks. */
  rules: RuleRecord[];
  chains: ChainRecord[];
  /** Which raw/nat/filter tables the dumps show, per family: present, absent (a whole-family dump lacks it) or not captured (src/engine/coverage.ts). */
  tableCoverage: TableCoverage;
  /** What the rule engine needs to know of the host, per address family: local addresses, interfaces, default route. */
  engineFacts: Record<4 | 6, EngineFacts>;
  /** sysctl, uname, docker info and daemon.json settings, carried forward for the what-if (src/whatif/facts.ts). */
  settings: SettingRecord[];
  /** Carried forward from the bundle for the report: the inputs' accounting and diagnostics, and the sources by name (to cite lines from). */
  inputs: InputSummary[];
  diagnostics: Diagnostic[];
  sources: ReadonlyMap<string, ByteSource>;
  /** Answers the stages after the model ask again and again, kept with the model (and dropped with it). */
  memo: { bridgeOf: Map<string, HostModel["bridges"][number] | null> };
  /** Protocols (tcp, udp) of the host's own socket tables in the bundle: `ss -tanp` shows no UDP socket, so no UDP listener is missing from it. A table with no socket at all is not seen. */
  hostSocketProtos: ReadonlySet<string>;
  /** Which kinds of evidence the bundle has. */
  present: {
    conntrack: boolean;
    socketOwners: boolean;
    /** A socket table of the host itself (its sockets that do not touch Docker are not kept in `sockets`). */
    hostSockets: boolean;
    containerNetns: boolean;
    rules: boolean;
    inspect: boolean;
    addresses: boolean;
    processes: boolean;
  };
}

export type EngineFacts = HostFacts & { interfaces: InterfaceFacts[] };

/**
 * `none`: no rule dump in the bundle (nothing is known); `empty`: dumps that hold
 * tables or chains but not one rule (dockerd --iptables=false, or rules flushed);
 * `no-docker`: rules, but none of Docker's chains or tables; `docker`: Docker's rules.
 */
export type FirewallState = "none" | "empty" | "no-docker" | "docker";
/** The tool that printed the dump: iptables-save's header (`legacy`, `nf_tables`) or `nft list ruleset`. */
export type FirewallDumpBackend = "legacy" | "nf_tables" | "nft" | "unknown";

/**
 * `list`'s bindings by (proto, host ip, host port, container port), in list
 * order: addBinding's lookup without a scan. One per list, made with it.
 */
type BindingIndex = Map<string, Binding[]>;

function addBinding(list: Binding[], index: BindingIndex, b: Omit<Binding, "proxyPids" | "evidence" | "from" | "ipGuessed"> & { ipGuessed?: boolean }, from: Binding["from"] extends Set<infer F> ? F : never, evidence: Evidence, proxyPid?: number): void {
  const hostIp = b.hostIp === "0.0.0.0" || b.hostIp === "::" || b.hostIp === "" ? null : b.hostIp;
  const hostFamily: 4 | 6 | null = b.hostIp === "0.0.0.0" ? 4 : b.hostIp === "::" ? 6 : hostIp ? familyOf(hostIp) : b.hostFamily;
  const key = `${b.proto}|${b.hostPort}|${hostIp}|${b.containerPort}`;
  let same = index.get(key);
  if (!same) index.set(key, (same = []));
  let found = same.find((x) => x.hostFamily === hostFamily || x.hostFamily === null || hostFamily === null);
  if (!found) {
    found = { ...b, hostIp, hostFamily, proxyPids: [], evidence: [], from: new Set(), ipGuessed: !!b.ipGuessed };
    list.push(found);
    same.push(found);
  }
  if (found.hostFamily === null) found.hostFamily = hostFamily;
  // docker-proxy's -container-ip and the DNAT rule's target name the backend (docker-paths §4.5
  // step 1); inspect only guesses it for a container with several addresses of the family
  if (b.containerIp && (!found.containerIp || (found.ipGuessed && (from === "docker-proxy" || from === "dnat-rule")))) {
    found.containerIp = b.containerIp;
    found.ipGuessed = from === "inspect" || from === "docker-ps" ? !!b.ipGuessed : false;
  }
  if (!found.container && b.container) found.container = b.container;
  found.from.add(from);
  // one line cited once (inspect lists a port in NetworkSettings.Ports and HostConfig.PortBindings, both from the record's line)
  if (found.evidence.length < 6 && !found.evidence.some((e) => e.file === evidence.file && e.line === evidence.line)) found.evidence.push(evidence);
  if (proxyPid !== undefined && !found.proxyPids.includes(proxyPid)) found.proxyPids.push(proxyPid);
}


export function buildModel(bundle: Bundle): HostModel {
  // other namespaces' records (a rootless engine's network namespace) are not the host's
  const { host: b, views } = splitNamespaceViews(bundle);
  const rootless = fingerprintRootless(b, views);
  // Containers: docker inspect first, docker ps fills gaps.
  const containers: ContainerInfo[] = [];
  const byName = new Map<string, ContainerInfo>();
  const bridges: HostModel["bridges"] = [];
  for (const n of b.networks) {
    if (!n.bridge) continue;
    bridges.push({ name: n.bridge, subnets: n.subnets.map((s) => s.subnet), gateways: n.subnets.map((s) => s.gateway).filter((g): g is string => !!g), network: n.name });
  }
  const bridgeOfNetwork = (name: string) => bridges.find((x) => x.network === name)?.name ?? (name === "bridge" ? "docker0" : null);
  for (const c of b.containers) {
    let info = byName.get(c.name);
    if (!info) {
      info = { name: c.name, id: c.id, pid: c.pid, addrs: [], source: c.source, hostNetwork: c.networkMode === "host" };
      byName.set(c.name, info);
      containers.push(info);
    }
    if (info.pid === null && c.pid !== null) info.pid = c.pid;
    if (c.networkMode === "host") info.hostNetwork = true;
    for (const n of c.networks) {
      const bridge = bridgeOfNetwork(n.name);
      if (n.ip && !info.addrs.some((a) => a.ip === n.ip)) info.addrs.push({ ip: n.ip, family: 4, network: n.name, gateway: n.gateway, bridge });
      if (n.ipv6 && !info.addrs.some((a) => a.ip === n.ipv6)) info.addrs.push({ ip: n.ipv6, family: 6, network: n.name, gateway: n.ipv6Gateway, bridge });
      // A bridge we know only from a container's gateway (no network inspect), or a gateway the
      // network inspect left out (20.10's default bridge): each bridge is listed once.
      const subnet = n.ip && n.gateway && n.prefixLen !== null ? subnetOf(n.ip, n.prefixLen) : null;
      if (subnet !== null && !bridges.some((x) => x.gateways.includes(n.gateway!))) {
        const known = bridges.find((x) => x.network === n.name || (bridge !== null && x.name === bridge));
        if (known) {
          known.gateways.push(n.gateway!);
          if (!known.subnets.includes(subnet)) known.subnets.push(subnet);
        } else bridges.push({ name: bridge ?? `(${n.name})`, subnets: [subnet], gateways: [n.gateway!], network: n.name });
      }
    }
  }
  bridges.push(...bridgesFromAddresses(b.addresses, bridges));
  const ruleBridges = bridgesFromRules(b.rules, bridges);
  if (ruleBridges.length) {
    const targets = new Set<string>();
    for (const r of dnatRules(b.rules)) if (r.nat?.addr) targets.add(normalizeAddr(r.nat.addr) ?? r.nat.addr);
    for (const p of b.processes) if (p.dockerProxy?.containerIp) targets.add(p.dockerProxy.containerIp);
    gatewaysFromSockets(ruleBridges, b.sockets, targets);
    bridges.push(...ruleBridges);
  }
  // docker-proxy's bindings from its sockets when no ps described it (a socket table alone)
  const socketProxies = proxiesFromSockets(b.sockets, new Set(b.processes.filter((p) => p.dockerProxy).map((p) => p.pid)));
  const unnamed = unnamedContainers(b, bridges, socketProxies);
  for (const c of unnamed.containers) {
    byName.set(c.name, c);
    containers.push(c);
  }
  const byIp = new Map<string, { container: ContainerInfo; addr: ContainerAddr }>();
  const byPid = new Map<number, ContainerInfo>();
  for (const c of containers) {
    for (const a of c.addrs) byIp.set(a.ip, { container: c, addr: a });
    // a host-network container's /proc/<pid>/net files would be the host's own tables
    if (c.pid !== null && !c.hostNetwork) byPid.set(c.pid, c);
  }

  const processes = new Map<number, ProcessRecord>();
  for (const p of b.processes) if (!processes.has(p.pid)) processes.set(p.pid, p);

  // Published ports from every source.
  const bindings: Binding[] = [];
  const bindingIndex: BindingIndex = new Map();
  for (const c of b.containers) {
    for (const p of c.ports) {
      if (p.hostPort === null) continue;
      const addrs = byName.get(c.name)?.addrs ?? [];
      const family = p.hostIp && familyOf(p.hostIp) === 6 ? 6 : 4;
      const addr = addrs.find((a) => a.family === family) ?? addrs[0];
      const ipGuessed = addrs.filter((a) => a.family === (addr?.family ?? family)).length > 1;
      addBinding(
        bindings,
        bindingIndex,
        { proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, hostFamily: null, container: c.name, containerIp: addr?.ip ?? null, containerPort: p.containerPort, ipGuessed },
        c.format === "docker-ps" ? "docker-ps" : "inspect",
        ev(c.source, `${c.name} publishes ${p.hostIp ?? ""}:${p.hostPort}->${p.containerPort}/${p.proto}`),
      );
    }
  }
  for (const p of b.processes) {
    const d = p.dockerProxy;
    if (!d || d.hostPort === null || d.containerPort === null || !d.proto) continue;
    addBinding(
      bindings,
      bindingIndex,
      { proto: d.proto, hostIp: d.hostIp, hostPort: d.hostPort, hostFamily: null, container: d.containerIp ? (byIp.get(d.containerIp)?.container.name ?? null) : null, containerIp: d.containerIp, containerPort: d.containerPort },
      "docker-proxy",
      ev(p.source, `docker-proxy pid ${p.pid}`),
      p.pid,
    );
  }
  for (const x of socketProxies) {
    addBinding(
      bindings,
      bindingIndex,
      { proto: x.proto, hostIp: x.listener.localIp, hostPort: x.listener.localPort!, hostFamily: null, container: byIp.get(x.containerIp)?.container.name ?? null, containerIp: x.containerIp, containerPort: x.containerPort },
      "docker-proxy",
      ev(x.listener.source, `docker-proxy pid ${x.pid} listens on the published port`),
      x.pid,
    );
  }
  for (const r of dnatRules(b.rules)) {
    const dport = r.matches.dport?.value[0];
    if (!dport || dport.from !== dport.to || r.matches.dport?.negated) continue;
    const proto = r.matches.proto?.value ?? "tcp";
    const cip = r.nat!.addr!;
    addBinding(
      bindings,
      bindingIndex,
      {
        proto,
        hostIp: r.matches.dst && !r.matches.dst.negated ? r.matches.dst.value.replace(/\/(32|128)$/, "") : null,
        hostPort: dport.from,
        hostFamily: r.family,
        container: byIp.get(cip)?.container.name ?? null,
        containerIp: cip,
        containerPort: r.nat!.port ?? dport.from,
      },
      "dnat-rule",
      ev(r.source, "DNAT rule", r.text),
    );
  }

  // Local addresses.
  const localAddrs = new Set<string>(["127.0.0.1", "::1"]);
  let localAddrsInferred = false;
  // a container's own `ip addr` (a sosreport namespaces/NAME/ folder) is not the host's
  const hostAddrs = b.addresses.filter(isHostAddress);
  for (const a of hostAddrs) localAddrs.add(a.address);
  // A container's address (known, or the target of a published port) is never the host's.
  const containerIps = new Set<string>(byIp.keys());
  for (const x of bindings) if (x.containerIp !== null) containerIps.add(x.containerIp);
  if (hostAddrs.length === 0) {
    localAddrsInferred = true;
    for (const br of bridges) for (const g of br.gateways) localAddrs.add(g);
    // Docker DNATs only packets for a LOCAL address (addrtype / fib daddr type local): a DNAT entry to a container tells one
    for (const c of b.conntrack) if (c.dnat && containerIps.has(c.reply.src)) localAddrs.add(c.original.dst);
  }

  // --network host containers: their processes (State.Pid and descendants) own host sockets, and
  // the ports they listen on are as relevant as published ones
  const hostNetPids = new Map<number, ContainerInfo>();
  for (const c of containers) {
    if (!c.hostNetwork || c.pid === null) continue;
    hostNetPids.set(c.pid, c);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of processes.values()) {
        if (p.ppid !== null && !hostNetPids.has(p.pid) && hostNetPids.get(p.ppid) === c) {
          hostNetPids.set(p.pid, c);
          grew = true;
        }
      }
    }
  }
  const published = new Set(bindings.map((x) => protoPortCode(x.proto, x.hostPort)));
  for (const r of b.sockets) {
    if ((r.state === "LISTEN" || r.state === "UNCONN") && r.pid !== null && hostNetPids.has(r.pid) && (r.netns === null || r.netns === "host")) published.add(protoPortCode(r.proto, r.localPort));
  }
  const sockets = mergeSockets(b.sockets, byPid, new Set(containers.map((c) => c.name)), processes, (r) => touchesDocker(r, byIp, published, processes));
  if (localAddrsInferred) {
    // A host socket's own address is the host's, listening or connected, unless it is a container's: a
    // loose `ss` of a container's namespace reads as the host's table, and inside a bridge's subnet only
    // the gateway is the host's.
    const isGatewayOrOutside = (ip: string) => bridges.every((br) => br.gateways.includes(ip) || !br.subnets.some((sn) => inCidr(ip, sn)));
    for (const s of sockets) {
      if (s.netns !== "host" || s.localIp === "0.0.0.0" || s.localIp === "::" || localAddrs.has(s.localIp)) continue;
      if (!containerIps.has(s.localIp) && isGatewayOrOutside(s.localIp)) localAddrs.add(s.localIp);
    }
  }

  const ct = new ConntrackIndex();
  for (const c of b.conntrack) ct.add(c);

  const present = {
    conntrack: b.conntrack.length > 0,
    socketOwners: b.sockets.some((s) => s.pid !== null),
    hostSockets: b.sockets.some((s) => s.netns === null || s.netns === "host"),
    containerNetns: sockets.some((s) => s.netns.startsWith("container:")),
    rules: b.rules.length > 0,
    inspect: b.containers.length > 0,
    addresses: b.addresses.length > 0,
    processes: b.processes.length > 0,
  };

  // The engine's view of the host: ip addr, routes and docker networks, plus what the model knows.
  const { rules, chains } = dedupeRules(b.rules, b.chains);
  const factRecords = [...b.addresses, ...b.networks, ...b.routes];
  const engineFacts = (family: 4 | 6): EngineFacts => {
    const f = buildFacts(factRecords, family);
    for (const a of localAddrs) (f.localAddrs as Set<string>).add(a);
    for (const br of bridges) {
      if (!f.interfaces.some((i) => i.name === br.name)) f.interfaces.push({ name: br.name, subnets: br.subnets, addresses: br.gateways });
    }
    return f;
  };

  const model: HostModel = {
    name: b.hostname,
    localAddrs,
    localAddrsInferred,
    bridges,
    containers,
    byIp,
    byPid,
    bindings,
    processes,
    sockets,
    ct,
    rules,
    chains,
    tableCoverage: tableCoverage(b.ruleDumps, b.chains, b.rules),
    engineFacts: { 4: engineFacts(4), 6: engineFacts(6) },
    settings: b.settings,
    inputs: b.inputs,
    diagnostics: unnamed.notes.length > 0 ? [...b.diagnostics, ...unnamed.notes] : b.diagnostics,
    sources: b.sources,
    memo: { bridgeOf: new Map() },
    userlandProxy: { value: "unknown", evidence: [], how: "" },
    firewallBackend: { value: "unknown", evidence: [], how: "" },
    firewall: firewallState(b),
    engine: fingerprintEngine(b),
    rootless: null,
    hostNetPids,
    dockerVersion: { value: "unknown", evidence: [], how: "" },
    hostSocketProtos: new Set(b.sockets.filter((s) => s.netns === null || s.netns === "host").map((s) => s.proto)),
    present,
  };
  model.userlandProxy = fingerprintProxy(b, model);
  model.firewallBackend = fingerprintBackend(b);
  model.dockerVersion = fingerprintVersion(b);
  if (rootless) applyRootless(model, rootless);
  return model;
}

/**
 * The container engine: Podman (its own files, or conmon started by podman),
 * CRI-O (the crio daemon, or sosreport's crio/openshift plugin output),
 * Docker (dockerd, docker inspect), or containerd alone (its daemon or
 * sosreport plugin with no dockerd: Kubernetes without Docker).
 */
function fingerprintEngine(b: Bundle): Fact<EngineKind> {
  const podmanInput = b.inputs.find((i) => /(^|\/)podman_[^/]*$/.test(i.file));
  const crio = b.processes.find((p) => p.command === "crio");
  // conmon monitors containers of both podman and CRI-O; podman's name it as their exit command
  const conmon = b.processes.find((p) => p.command === "conmon" && (!crio || /\bpodman\b/.test(p.args)));
  if (podmanInput || conmon) {
    const evidence = conmon ? [ev(conmon.source, "conmon (podman's container monitor)")] : [];
    return { value: "podman", evidence, how: podmanInput ? `podman's own files (${podmanInput.file.replace(/^.*\//, "")})` : "conmon processes (podman)" };
  }
  const plugins = b.enginePlugins;
  const pluginText = plugins.length ? `sosreport holds the ${plugins.join(", ")} plugin output` : "";
  if (crio) return { value: "cri-o", evidence: [ev(crio.source, "crio (CRI-O)")], how: ["the crio daemon runs", pluginText].filter(Boolean).join("; ") };
  const dockerd = b.processes.find((p) => p.dockerd);
  if (dockerd) return { value: "docker", evidence: [ev(dockerd.source, "dockerd")], how: "dockerd runs" };
  if (b.containers.length) return { value: "docker", evidence: [], how: "docker inspect / docker ps" };
  if (plugins.includes("crio") || plugins.includes("openshift")) return { value: "cri-o", evidence: [], how: pluginText };
  const containerd = b.processes.find((p) => p.command === "containerd");
  if (containerd || plugins.includes("containerd") || plugins.includes("kubernetes")) {
    const how = [containerd ? "containerd runs without dockerd" : "", pluginText].filter(Boolean).join("; ");
    return { value: "containerd", evidence: containerd ? [ev(containerd.source, "containerd (no dockerd)")] : [], how };
  }
  return { value: "unknown", evidence: [], how: "no container engine in the bundle" };
}

/** The container engine a bundle shows (analysis schema: host.engine). */
export type EngineKind = "docker" | "docker-rootless" | "podman" | "podman-rootless" | "cri-o" | "containerd" | "unknown";
export function isLocal(m: HostModel, ip: string): boolean {
  return isLocalAddr(ip, m.localAddrs);
}

/** The container address `ip` belongs to, or the bridge network whose subnet holds it. */
export function containerOf(m: HostModel, ip: string): { container: ContainerInfo; addr: ContainerAddr } | undefined {
  return m.byIp.get(ip);
}


type Bridge = HostModel["bridges"][number];

/** The bridge whose subnet holds `ip` (memoised on the model: every flow asks it of its client, most of them external). */
export function bridgeOf(m: HostModel, ip: string): Bridge | undefined {
  const memo = m.memo.bridgeOf;
  let b = memo.get(ip);
  if (b === undefined) {
    b = m.bridges.find((br) => br.subnets.some((s) => inCidr(ip, s))) ?? null;
    if (memo.size >= CACHE_MAX) memo.clear();
    memo.set(ip, b);
  }
  return b ?? undefined;
}
