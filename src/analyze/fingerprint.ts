/**
 * Host facts read from the whole bundle, each with its evidence: whether
 * dockerd runs docker-proxy (userland-proxy), the firewall backend, what the
 * rule dumps hold (firewallState), and Docker's version: docker info's
 * Server Version, else the range of versions whose rule layout this is.
 */
import type { Bundle } from "./bundle.js";
import { ev, isDockerdName, isDockerProxyName, type Evidence, type Fact, type FirewallDumpBackend, type FirewallState, type HostModel } from "./model.js";
import type { RuleDump } from "../input/rule-dump.js";
import type { ChainRecord, ProcessRecord, RuleRecord } from "../types.js";

/** The DNAT rules that publish ports (iptables nat table, or nft). */
export function dnatRules(rules: RuleRecord[]): RuleRecord[] {
  return rules.filter((r) => r.target === "DNAT" && r.nat && r.nat.addr && (r.table === "nat" || r.format === "nft"));
}

export function fingerprintProxy(b: Bundle, m: HostModel): Fact<"on" | "off" | "unknown"> {
  const on: Evidence[] = [];
  const off: Evidence[] = [];
  const hows: string[] = [];
  for (const p of b.processes) {
    if (p.dockerd?.userlandProxy === false) {
      off.push(ev(p.source, "dockerd --userland-proxy=false"));
      hows.push("dockerd was started with --userland-proxy=false");
    } else if (p.dockerd?.userlandProxy === true) {
      on.push(ev(p.source, "dockerd --userland-proxy=true"));
      hows.push("dockerd was started with --userland-proxy=true");
    }
  }
  const proxies = b.processes.filter((p) => p.dockerProxy);
  // one process per pid: two ps captures of the host (ps -efww and ps aux) list each process twice
  const proxyPids = new Set(proxies.map((p) => p.pid)).size;
  if (proxies.length) {
    on.push(ev(proxies[0]!.source, `${proxyPids} docker-proxy processes`));
    hows.push(`${proxyPids} docker-proxy processes run`);
  }
  const published = new Set(m.bindings.map((x) => `${x.proto}|${x.hostPort}`));
  const listeners = m.sockets.filter((s) => s.netns === "host" && (s.state === "LISTEN" || s.state === "UNCONN") && published.has(`${s.proto}|${s.localPort}`));
  const byDockerd = listeners.filter((s) => isDockerdName(s.program));
  const byProxy = listeners.filter((s) => isDockerProxyName(s.program));
  if (byDockerd.length) {
    off.push(ev(byDockerd[0]!.source, "published port held by dockerd"));
    hows.push(`dockerd itself holds ${byDockerd.length} published-port sockets (placeholders)`);
  }
  if (byProxy.length) {
    on.push(ev(byProxy[0]!.source, "published port held by docker-proxy"));
    hows.push(`docker-proxy holds ${byProxy.length} published-port sockets`);
  } else if (!proxies.length) {
    // No ps and no known published port (a socket table alone): a socket owned by docker-proxy
    // (ss -p, netstat -p) shows the process runs, and it runs only with the proxy on.
    const owned = m.sockets.filter((s) => s.netns === "host" && isDockerProxyName(s.program));
    if (owned.length) {
      const pids = new Set(owned.map((s) => s.pid));
      on.push(ev(owned[0]!.source, "socket owned by docker-proxy"));
      hows.push(`docker-proxy (${pids.size === 1 ? "1 process" : `${pids.size} processes`}) owns ${owned.length} host sockets`);
    }
  }
  // Rules: OUTPUT jump without the loopback exclusion, DNAT without `! -i <bridge>`.
  const natOutput = b.rules.filter((r) => r.family === 4 && r.chain === "OUTPUT" && r.table === "nat" && r.target === "DOCKER");
  for (const r of natOutput) {
    if (r.matches.dst?.negated && r.matches.dst.value.startsWith("127.0.0.0/8")) {
      on.push(ev(r.source, "OUTPUT excludes 127.0.0.0/8", r.text));
    } else {
      off.push(ev(r.source, "OUTPUT jumps to DOCKER for loopback too", r.text));
      hows.push("nat OUTPUT sends loopback traffic to DOCKER (no ! -d 127.0.0.0/8)");
    }
  }
  if (natOutput.some((r) => r.matches.dst?.negated)) hows.push("nat OUTPUT excludes 127.0.0.0/8 from DOCKER");
  const dnats = dnatRules(b.rules).filter((r) => r.family === 4);
  if (dnats.length) {
    const withIn = dnats.filter((r) => r.matches.inIface?.negated);
    if (withIn.length === dnats.length) on.push(ev(dnats[0]!.source, "DNAT rules carry ! -i <bridge>", dnats[0]!.text));
    else if (withIn.length === 0) {
      off.push(ev(dnats[0]!.source, "DNAT rules have no ! -i <bridge>", dnats[0]!.text));
      hows.push("DNAT rules have no `! -i <bridge>` qualifier");
    }
  }
  const value = on.length && !off.length ? "on" : off.length && !on.length ? "off" : "unknown";
  // the same rule listed by several dumps (iptables-save and iptables -L) is one reason, said once
  const said = [...new Set(hows)].join("; ");
  const how = value === "unknown" && on.length && off.length ? `conflicting evidence: ${said}` : said || "no evidence in the bundle";
  return { value, evidence: value === "off" ? off : value === "on" ? on : [...on, ...off], how };
}

export function fingerprintBackend(b: Bundle): Fact<"iptables" | "nftables" | "unknown"> {
  const dockerNft = b.chains.find((c) => c.format === "nft" && c.table === "docker-bridges");
  if (dockerNft) return { value: "nftables", evidence: [ev(dockerNft.source, "nft table docker-bridges")], how: "nft table `docker-bridges` exists (Docker 29 nftables backend)" };
  const docker = b.chains.find((c) => c.name === "DOCKER") ?? b.rules.find((r) => r.chain === "DOCKER");
  if (docker) return { value: "iptables", evidence: [ev(docker.source, "DOCKER chain")], how: "iptables chain DOCKER exists" };
  return { value: "unknown", evidence: [], how: "no Docker firewall rules in the bundle" };
}

/**
 * Docker's version: the exact one `docker info` names (Server Version), with
 * what the rule chains say beside it; without docker info, the range of
 * versions whose chains these are.
 */
export function fingerprintVersion(b: Bundle): Fact<string> {
  const chains = versionFromChains(b);
  const info = b.settings.find((s) => s.key === "docker.server_version" && s.format === "docker-info" && s.value.trim() !== "");
  if (!info) return chains;
  const value = info.value.trim();
  const evidence = [ev(info.source, "docker info: Server Version"), ...chains.evidence];
  return { value, evidence, how: `docker info's Server Version${chains.value === "unknown" ? "" : `; the rule chains say ${chains.value} (${chains.how})`}` };
}

/** The range of Docker versions whose rule layout the bundle's chains are. */
function versionFromChains(b: Bundle): Fact<string> {
  const chainNames = new Set([...b.chains.map((c) => c.name), ...b.rules.map((r) => r.chain)]);
  const has = (n: string) => chainNames.has(n);
  const first = (n: string) => {
    const c = b.chains.find((x) => x.name === n) ?? b.rules.find((x) => x.chain === n);
    return c ? [ev(c.source, `chain ${n}`)] : [];
  };
  if (b.chains.some((c) => c.table === "docker-bridges")) return { value: ">= 29.0 (nftables backend)", evidence: [], how: "nft table docker-bridges" };
  if (has("DOCKER-FORWARD")) {
    if (has("DOCKER-ISOLATION-STAGE-1")) return { value: "28.0.1 - 28.x", evidence: first("DOCKER-FORWARD"), how: "DOCKER-FORWARD with DOCKER-ISOLATION-STAGE-1/2 chains" };
    return { value: ">= 29.0", evidence: first("DOCKER-FORWARD"), how: "DOCKER-FORWARD without isolation chains" };
  }
  if (has("DOCKER-ISOLATION-STAGE-1")) {
    return { value: has("DOCKER-USER") ? "18.05 - 28.0.0" : "18.03.1 - 28.0.0", evidence: first("DOCKER-ISOLATION-STAGE-1"), how: "DOCKER-ISOLATION-STAGE-1/2 chains, no DOCKER-FORWARD" };
  }
  if (has("DOCKER-ISOLATION")) return { value: "1.13 - 18.04", evidence: first("DOCKER-ISOLATION"), how: "single DOCKER-ISOLATION chain" };
  return { value: "unknown", evidence: [], how: "no version-specific chains" };
}

/** What the rule dumps hold: nothing, tables without one rule, rules without Docker's, or Docker's. */
export function firewallState(b: Bundle): HostModel["firewall"] {
  const backends = new Set<FirewallDumpBackend>();
  for (const c of b.chains) backends.add(c.format === "nft" ? "nft" : (c.backend ?? "unknown"));
  for (const r of b.rules) backends.add(r.format === "nft" ? "nft" : (r.backend ?? "unknown"));
  // iptables-nft's rules show in `nft list ruleset` too: the iptables-save header names the backend
  // when there is one; a ruleset with no iptables-save header is native nft
  const backend: FirewallDumpBackend = backends.has("legacy") && !backends.has("nf_tables") ? "legacy" : backends.has("nf_tables") && !backends.has("legacy") ? "nf_tables" : backends.has("nft") && !backends.has("legacy") ? "nft" : "unknown";
  // nft `inet` tables hold both families; iptables dumps are one family each
  const of = (f: 4 | 6) => firewallStateOf(b.chains.filter((c) => c.family === f), b.rules.filter((r) => r.family === f), b.processes, emptyDumpOf(b.ruleDumps, f));
  const byFamily = { 4: of(4), 6: of(6) };
  const all = firewallStateOf(b.chains, b.rules, b.processes, emptyDumpOf(b.ruleDumps, 4) ?? emptyDumpOf(b.ruleDumps, 6));
  // the host's state is IPv4's when IPv4 rules were dumped (the usual case), else the whole dump's
  const main = byFamily[4].value !== "none" ? byFamily[4] : all;
  return { ...main, backend, byFamily };
}

/**
 * A whole-family rule dump that printed nothing (`iptables-save` or `nft list
 * ruleset` of a kernel with no table of that family), from a command that did
 * not fail: proof that there is no rule at all.
 */
function emptyDumpOf(dumps: readonly RuleDump[], family: 4 | 6): RuleDump | null {
  return dumps.find((d) => d.empty && d.tables === "all" && (d.exit === null || d.exit === 0) && (d.family === family || (d.family === null && d.format === "nft"))) ?? null;
}

function firewallStateOf(chains: ChainRecord[], rules: RuleRecord[], processes: ProcessRecord[], emptyDump: RuleDump | null): Fact<FirewallState> {
  const iptablesFalse = processes.find((p) => p.dockerd?.iptables === false);
  if (chains.length === 0 && rules.length === 0) {
    if (!emptyDump) return { value: "none", evidence: [], how: "no firewall rule dump in the bundle" };
    const cmd = emptyDump.command ?? (emptyDump.format === "nft" ? "nft list ruleset" : "iptables-save");
    const evidence = [ev({ file: emptyDump.file, line: emptyDump.line }, `${cmd}: empty output${emptyDump.exit === 0 ? ", exit status 0" : ""}`)];
    if (iptablesFalse) evidence.push(ev(iptablesFalse.source, "dockerd --iptables=false"));
    return {
      value: "empty",
      evidence,
      how: `the rule dumps show no table at all (\`${cmd}\` printed nothing): ${iptablesFalse ? "dockerd runs with --iptables=false, so it adds no rule" : "no dockerd --iptables=false in the bundle's process list: dockerd was started with --iptables=false (daemon.json), or nothing loaded a table"}`,
    };
  }
  const b = { chains, rules };
  if (b.rules.length === 0) {
    const nat = b.chains.find((c) => c.table === "nat") ?? b.chains[0]!;
    const why = iptablesFalse
      ? "dockerd runs with --iptables=false, so it adds no rule"
      : "no dockerd --iptables=false in the bundle's process list: the rules were flushed, or dockerd was started with --iptables=false (daemon.json)";
    const evidence = [ev(nat.source, `${nat.table} ${nat.name}: no rules`)];
    if (iptablesFalse) evidence.push(ev(iptablesFalse.source, "dockerd --iptables=false"));
    return { value: "empty", evidence, how: `the rule dumps hold no rule at all (nat table empty, every policy ${[...new Set(b.chains.map((c) => c.policy).filter(Boolean))].join("/") || "unset"}): ${why}` };
  }
  const dockerChain = b.chains.find((c) => /^DOCKER/.test(c.name) || c.table === "docker-bridges") ?? b.rules.find((r) => /^DOCKER/.test(r.chain) || r.table === "docker-bridges");
  if (dockerChain) return { value: "docker", evidence: [ev(dockerChain.source, "Docker's chains")], how: "Docker's chains are in the rule dump" };
  const first = b.rules.find((r) => /^NETAVARK/.test(r.chain)) ?? b.rules[0]!;
  const nftOnly = b.rules.every((r) => r.format === "nft");
  const netavark = /^NETAVARK/.test(first.chain);
  return {
    value: "no-docker",
    evidence: [ev(first.source, netavark ? "netavark's rules" : "a rule, none of them Docker's", first.text)],
    how: `${netavark ? "netavark's rules (NETAVARK-* chains), none of Docker's" : `rules, none of them in Docker's ${nftOnly ? "nft tables" : "chains (DOCKER, DOCKER-USER, ...)"}`}${iptablesFalse ? "; dockerd runs with --iptables=false" : ""}`,
  };
}
