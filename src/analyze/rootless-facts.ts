/**
 * Rootless engines, the facts half (src/analyze/rootless.ts attributes their flows):
 * which rootless engine a bundle shows, and the rootless network namespace's own view.
 *
 * The rootless network namespace (podman's rootless-netns, rootlesskit's namespace) has
 * rules, conntrack and sockets of its own; a bundle holds them apart (a sosreport-style
 * `namespaces/<name>/` folder). `splitNamespaceViews` takes such records out of the
 * host's view before the model is built: a DNAT rule in there is not the host's firewall.
 */
import type { Bundle, BundleConntrack, BundleSocket } from "./bundle.js";
import type { Evidence, HostModel } from "./model.js";
import { netnsFromPath } from "../input/noise.js";
import type { AddressRecord, ChainRecord, RouteRecord, RuleRecord, SourceRef } from "../types.js";

function ev(source: SourceRef, note: string): Evidence {
  return { file: source.file, line: source.line, note, text: undefined };
}

export function base(p: string | null | undefined): string {
  if (!p) return "";
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

export type ForwarderKind = "rootlessport" | "rootlesskit" | "slirp4netns";

/** A network namespace's own records (a `namespaces/<name>/` folder that is no container's). */
export interface NamespaceView {
  name: string;
  rules: RuleRecord[];
  chains: ChainRecord[];
  conntrack: BundleConntrack[];
  sockets: BundleSocket[];
  addresses: AddressRecord[];
  routes: RouteRecord[];
}

export interface RootlessFacts {
  engine: "podman" | "docker";
  /** The program holding the published ports in the host's namespace. */
  forwarder: ForwarderKind;
  /** rootlesskit's `--port-driver` (rootless Docker), or null. */
  portDriver: string | null;
  evidence: Evidence[];
  how: string;
  /** The rootless network namespace's own view, when the bundle holds it. */
  netns: NamespaceView | null;
}

/**
 * Records of `namespaces/<name>/` folders that belong to no container go into a view of
 * their own, out of the bundle (sockets, conntrack, rules, addresses, routes): another
 * namespace's firewall and connections are not the host's. A folder named after a
 * container stays (its sockets are that container's, as `--netns` would say).
 */
export function splitNamespaceViews(b: Bundle): { host: Bundle; views: Map<string, NamespaceView> } {
  const containers = new Set(b.containers.map((c) => c.name));
  const views = new Map<string, NamespaceView>();
  const viewOf = (file: string): NamespaceView | null => {
    const ns = netnsFromPath(file);
    if (!ns?.startsWith("netns:")) return null;
    const name = ns.slice("netns:".length);
    if (containers.has(name)) return null;
    let v = views.get(name);
    if (!v) views.set(name, (v = { name, rules: [], chains: [], conntrack: [], sockets: [], addresses: [], routes: [] }));
    return v;
  };
  const split = <T extends { source: { file: string } }>(list: T[], pick: (v: NamespaceView) => T[]): T[] => {
    const keep: T[] = [];
    for (const r of list) {
      const v = viewOf(r.source.file);
      if (v) pick(v).push(r);
      else keep.push(r);
    }
    return keep;
  };
  if (!b.inputs.some((i) => netnsFromPath(i.file)?.startsWith("netns:"))) return { host: b, views };
  // a new bundle object: the caller's keeps every record
  const host: Bundle = {
    ...b,
    rules: split(b.rules, (v) => v.rules),
    chains: split(b.chains, (v) => v.chains),
    conntrack: split(b.conntrack, (v) => v.conntrack),
    sockets: split(b.sockets, (v) => v.sockets),
    addresses: split(b.addresses, (v) => v.addresses),
    routes: split(b.routes, (v) => v.routes),
    ruleDumps: b.ruleDumps.filter((d) => !viewOf(d.file)),
  };
  return { host, views };
}

/**
 * Which rootless engine the bundle shows, if any: rootlessport (rootless Podman),
 * rootlesskit (rootless Docker; its --port-driver says who holds the ports), in `ps` or
 * as the owners of listening sockets.
 */
export function fingerprintRootless(b: Bundle, views: Map<string, NamespaceView>): RootlessFacts | null {
  const netns = views.get("rootless-netns") ?? null;
  const kit = b.processes.find((p) => base(p.command) === "rootlesskit");
  const port = b.processes.find((p) => base(p.command) === "rootlessport");
  const listener = (name: string) => b.sockets.find((s) => (s.state === "LISTEN" || s.state === "UNCONN") && base(s.program) === name && (s.netns === null || s.netns === "host"));
  if (kit || listener("rootlesskit")) {
    const driver = kit ? (/--port-driver[= ](\S+)/.exec(kit.args)?.[1] ?? "builtin") : "builtin";
    const forwarder: ForwarderKind = driver === "slirp4netns" ? "slirp4netns" : "rootlesskit";
    const evidence = kit ? [ev(kit.source, `rootlesskit (rootless Docker), port driver ${driver}`)] : [ev(listener("rootlesskit")!.source, "a published port held by rootlesskit")];
    const how = `${kit ? `rootlesskit runs dockerd (port driver ${driver}${/--port-driver/.test(kit.args) ? "" : ", the default"})` : "rootlesskit holds published ports"}: published ports are relayed by ${forwarder === "rootlesskit" ? "rootlesskit in the host's namespace, then docker-proxy inside rootlesskit's namespace" : "slirp4netns into rootlesskit's namespace"}; no NAT on the host`;
    return { engine: "docker", forwarder, portDriver: driver, evidence, how, netns };
  }
  // rootlesskit's slirp4netns port driver (or podman's slirp4netns port handler): slirp4netns itself listens
  const slirp = listener("slirp4netns");
  if (slirp) {
    const podman = b.inputs.some((i) => /(^|\/)podman_[^/]*$/.test(i.file));
    const how = `slirp4netns holds published ports${podman ? " (podman's slirp4netns port handler)" : " (rootlesskit --port-driver=slirp4netns)"}: it sends each connection on into the rootless namespace from the client's own address; no NAT on the host`;
    return { engine: podman ? "podman" : "docker", forwarder: "slirp4netns", portDriver: podman ? null : "slirp4netns", evidence: [ev(slirp.source, "a published port held by slirp4netns")], how, netns };
  }
  const held = listener("rootlessport");
  if (port || held) {
    const evidence = [port ? ev(port.source, "rootlessport (rootless Podman)") : ev(held!.source, "a published port held by rootlessport")];
    const how = `${port ? "rootlessport runs" : "rootlessport holds published ports"}: published ports are relayed by rootlessport in the host's namespace, whose child dials the container from inside its namespace; no NAT on the host`;
    return { engine: "podman", forwarder: "rootlessport", portDriver: null, evidence, how, netns };
  }
  return null;
}

/** The host model's facts as a rootless engine changes them: the engine's name, its userland forwarder. */
export function applyRootless(m: HostModel, rl: RootlessFacts): void {
  m.rootless = rl;
  m.engine = { value: rl.engine === "podman" ? "podman-rootless" : "docker-rootless", evidence: rl.evidence, how: rl.how };
  // the host's firewall is none of a rootless engine's business: say so, not "rules flushed"
  const inside = rl.netns && rl.netns.rules.length ? ` (its rules, ${rl.netns.rules.length} of them, are in its network namespace ${rl.netns.name})` : "";
  if (m.firewall.value === "empty") m.firewall = { ...m.firewall, how: `the host's own rule dumps hold no rule (nat table empty, every policy ACCEPT): a rootless engine adds none to the host${inside}` };
  else if (m.firewall.value === "no-docker" || m.firewall.value === "none") m.firewall = { ...m.firewall, how: `${m.firewall.how}; a rootless engine adds no rule to the host${inside}` };
  m.userlandProxy = { value: "on", evidence: rl.evidence, how: `a rootless engine: every published port is relayed by ${rl.forwarder}${rl.engine === "docker" && rl.forwarder === "rootlesskit" ? " (and docker-proxy in rootlesskit's namespace)" : ""}` };
}

