/**
 * Host facts read from the whole bundle, each with its evidence: whether
 * dockerd runs docker-proxy (userland-proxy), the firewall backend, and the
 * range of Docker versions whose rule layout this is.
 */
import type { Bundle } from "./bundle.js";
import { ev, isDockerdName, isDockerProxyName, type Evidence, type Fact, type HostModel } from "./model.js";
import type { RuleRecord } from "../types.js";

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
  if (proxies.length) {
    on.push(ev(proxies[0]!.source, `${proxies.length} docker-proxy processes`));
    hows.push(`${proxies.length} docker-proxy processes run`);
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

export function fingerprintVersion(b: Bundle): Fact<string> {
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
