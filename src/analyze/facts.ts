/**
 * What the rule engine needs besides rules, built from parsed records: the
 * host's LOCAL addresses and interfaces (ip addr, docker network inspect,
 * ip route), and one copy of each rule table when several dumps repeat it.
 */
import { netnsFromPath } from "../input/noise.js";
import type { AddressRecord, ChainRecord, NatlensRecord, NetworkRecord, RouteRecord, RuleRecord } from "../types.js";
import type { HostFacts, InterfaceFacts } from "../engine/index.js";
import { inCidr, isLinkLocal, normalizeAddr, subnetOf } from "../net/index.js";

const XT_TABLES = new Set(["raw", "mangle", "nat", "filter", "security"]);

/**
 * Drop rule sources that repeat others: an iptables -L listing of a table that
 * iptables-save also gave, and the nft view of iptables-nft tables that an
 * iptables dump also gave. An nft table repeats an iptables table only when it
 * is an `ip`/`ip6` table of the same name whose chains all appear in an
 * iptables dump that is not iptables-legacy's (legacy tables are not in nft's
 * view; a native `table inet filter`, or a `table ip nat` with its own chain
 * names, is a table of its own and runs besides the iptables one).
 */
export function dedupeRules(rules: RuleRecord[], chains: ChainRecord[]): { rules: RuleRecord[]; chains: ChainRecord[]; notes: string[] } {
  const notes: string[] = [];
  const have = (fmt: string) => {
    const s = new Set<string>();
    for (const r of [...rules, ...chains]) if (r.format === fmt) s.add(`${r.family} ${r.table}`);
    return s;
  };
  const save = have("iptables-save");
  // chain names per family and table of iptables dumps that nft also lists (not legacy)
  const xtChains = new Map<string, Set<string>>();
  for (const r of [...rules, ...chains]) {
    if ((r.format !== "iptables-save" && r.format !== "iptables-list") || r.backend === "legacy") continue;
    const k = `${r.family} ${r.table}`;
    let set = xtChains.get(k);
    if (!set) xtChains.set(k, (set = new Set()));
    set.add(r.kind === "rule" ? r.chain : r.name);
  }
  // nft tables (by family and name) whose every chain is one of the iptables dump's
  const nftChains = new Map<string, Set<string>>();
  for (const r of [...rules, ...chains]) {
    if (r.format !== "nft") continue;
    const k = `${r.tableFamily ?? (r.family === 6 ? "ip6" : "ip")} ${r.table}`;
    let set = nftChains.get(k);
    if (!set) nftChains.set(k, (set = new Set()));
    set.add(r.kind === "rule" ? r.chain : r.name);
  }
  const repeatsXt = (r: RuleRecord | ChainRecord): boolean => {
    const tf = r.tableFamily ?? (r.family === 6 ? "ip6" : "ip");
    if ((tf !== "ip" && tf !== "ip6") || !XT_TABLES.has(r.table)) return false;
    const xt = xtChains.get(`${tf === "ip6" ? 6 : 4} ${r.table}`);
    const own = nftChains.get(`${tf} ${r.table}`);
    return xt !== undefined && own !== undefined && [...own].every((c) => xt.has(c));
  };
  const dropped = new Map<string, number>();
  const keep = <T extends RuleRecord | ChainRecord>(r: T): boolean => {
    const k = `${r.family} ${r.table}`;
    let drop = false;
    if (r.format === "iptables-list" && save.has(k)) drop = true;
    if (r.format === "nft" && repeatsXt(r)) drop = true;
    if (drop) {
      const why = `${r.format} ${r.family === 6 ? "ip6" : "ip"} ${r.table}`;
      dropped.set(why, (dropped.get(why) ?? 0) + 1);
    }
    return !drop;
  };
  const outRules = rules.filter(keep);
  const outChains = chains.filter(keep);
  for (const [why, n] of [...dropped].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) notes.push(`${why}: ${n} records left out, the same table came from ${why.startsWith("nft") ? "an iptables dump" : "iptables-save"}`);
  return { rules: outRules, chains: outChains, notes };
}

/** An address of the host itself: not from a container's `ip addr` (a sosreport `namespaces/NAME/` file). */
export function isHostAddress(a: AddressRecord): boolean {
  const ns = netnsFromPath(a.source.file);
  return ns === null || ns === "host";
}

/** Host facts from address, route and docker network records. */
export function buildFacts(records: NatlensRecord[], family: 4 | 6): HostFacts & { interfaces: InterfaceFacts[] } {
  const local = new Set<string>();
  const ifaces = new Map<string, InterfaceFacts>();
  const iface = (name: string): InterfaceFacts => {
    let i = ifaces.get(name);
    if (!i) ifaces.set(name, (i = { name, subnets: [], addresses: [] }));
    return i;
  };
  const addSubnet = (name: string, cidr: string) => {
    const i = iface(name);
    if (!i.subnets.includes(cidr)) i.subnets.push(cidr);
  };
  let defaultIface: string | null = null;
  let defaultMetric = Infinity;
  for (const r of records) {
    if (r.kind === "address") {
      const a = r as AddressRecord;
      if (!isHostAddress(a)) continue;
      const n = normalizeAddr(a.address);
      if (!n) continue;
      local.add(n);
      const i = iface(a.iface);
      if (!i.addresses!.includes(n)) i.addresses!.push(n);
      const linkLocal = a.family === 6 && isLinkLocal(n);
      if (a.prefixLen !== null && !linkLocal && a.iface !== "lo") addSubnet(a.iface, `${n}/${a.prefixLen}`);
    } else if (r.kind === "network") {
      const nw = r as NetworkRecord;
      if (!nw.bridge) continue;
      for (const s of nw.subnets) {
        addSubnet(nw.bridge, s.subnet);
        if (s.gateway) {
          const g = normalizeAddr(s.gateway.replace(/\/\d+$/, ""));
          if (g) {
            local.add(g);
            const i = iface(nw.bridge);
            if (!i.addresses!.includes(g)) i.addresses!.push(g);
          }
        }
      }
    } else if (r.kind === "route") {
      const rt = r as RouteRecord;
      if (rt.family !== family || !rt.dev) continue;
      if (rt.table !== null && rt.table !== "main") {
        if (rt.table === "local" && rt.type === "local") {
          const n = normalizeAddr(rt.dst.replace(/\/\d+$/, ""));
          if (n) local.add(n);
        }
        continue;
      }
      if (rt.dst === "default") {
        const m = rt.metric ?? 0;
        if (m < defaultMetric) {
          defaultMetric = m;
          defaultIface = rt.dev;
        }
      } else if (rt.type === null || rt.type === "unicast") {
        const dst = rt.dst.includes("/") ? rt.dst : `${rt.dst}/${family === 6 ? 128 : 32}`;
        addSubnet(rt.dev, dst);
      }
    }
  }
  return { localAddrs: local, interfaces: [...ifaces.values()], defaultIface };
}


/** Names container engines give their bridges: docker0, Docker's `br-<network id>`, Podman's podman0 / cni-podman0. */
const ENGINE_BRIDGE = /^(?:docker\d+|br-[0-9a-f]{12}|podman\d+|cni-podman\d+)$/;

/** A container bridge found without docker network inspect (no network name). */
type FoundBridge = { name: string; subnets: string[]; gateways: string[]; network: null };

/**
 * Container bridges from Docker's masquerade rules, for a bundle with neither
 * `ip addr` nor `docker network inspect`: every NAT-ed bridge network gets
 * `-A POSTROUTING -s SUBNET ! -o BRIDGE -j MASQUERADE` (nft: `ip saddr SUBNET
 * oifname != "BRIDGE" masquerade`). The gateway is not in the rule and stays
 * unknown. Bridges already known by name are left alone.
 */
export function bridgesFromRules(rules: readonly RuleRecord[], known: readonly { name: string }[]): FoundBridge[] {
  const out: FoundBridge[] = [];
  for (const r of rules) {
    const m = r.matches;
    if (r.table !== "nat" || r.chain !== "POSTROUTING" || r.target !== "MASQUERADE") continue;
    if (!m.src || m.src.negated || !m.outIface?.negated || !ENGINE_BRIDGE.test(m.outIface.value) || m.src.value.indexOf("/") < 0) continue;
    const name = m.outIface.value;
    if (known.some((b) => b.name === name)) continue;
    const same = out.find((b) => b.name === name);
    if (same) {
      if (!same.subnets.includes(m.src.value)) same.subnets.push(m.src.value);
    } else out.push({ name, subnets: [m.src.value], gateways: [], network: null });
  }
  return out;
}

/**
 * The gateway of a bridge learnt from its masquerade rule (bridgesFromRules):
 * the host's own address in the subnet, seen as the local address of a host
 * socket (docker-proxy's backend leg, a host process dialling a container).
 * Taken only when one such address is seen, and never a container's.
 */
export function gatewaysFromSockets(bridges: { subnets: string[]; gateways: string[] }[], sockets: readonly { netns: string | null; localIp: string }[], containerIps: ReadonlySet<string>): void {
  const seen = new Map<{ gateways: string[] }, Set<string>>();
  for (const s of sockets) {
    if ((s.netns !== null && s.netns !== "host") || containerIps.has(s.localIp)) continue;
    for (const br of bridges) {
      if (br.gateways.length || !br.subnets.some((sn) => inCidr(s.localIp, sn) === true)) continue;
      let ips = seen.get(br);
      if (!ips) seen.set(br, (ips = new Set()));
      ips.add(s.localIp);
    }
  }
  for (const [br, ips] of seen) if (ips.size === 1) br.gateways.push(...ips);
}

/**
 * Bridges seen only in the host's `ip addr` (no docker inspect in the bundle):
 * an engine-named interface with an IPv4 or global IPv6 address is a
 * container bridge, each address a gateway and its subnet the containers' (a
 * supportconfig holds no docker inspect; link-local fe80::/64 is every
 * interface's, no container subnet). Bridges already known by name or gateway
 * are left out.
 */
export function bridgesFromAddresses(addresses: readonly AddressRecord[], known: readonly { name: string; gateways: string[] }[]): FoundBridge[] {
  const out: FoundBridge[] = [];
  for (const a of addresses) {
    if (a.prefixLen === null || !ENGINE_BRIDGE.test(a.iface) || !isHostAddress(a) || (a.family === 6 && isLinkLocal(a.address))) continue;
    if (known.some((b) => b.name === a.iface || b.gateways.includes(a.address))) continue;
    const subnet = subnetOf(a.address, a.prefixLen);
    if (subnet === null) continue;
    const same = out.find((b) => b.name === a.iface);
    if (same) {
      if (!same.gateways.includes(a.address)) same.gateways.push(a.address);
      if (!same.subnets.includes(subnet)) same.subnets.push(subnet);
    } else out.push({ name: a.iface, subnets: [subnet], gateways: [a.address], network: null });
  }
  return out;
}
