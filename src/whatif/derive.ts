/**
 * The rule set dockerd would program with the userland proxy toggled, derived
 * from the host's own rules (docker-paths §1.9, confirmed on the lab's proxy
 * on/off twins, whose iptables-save dumps differ in exactly these rules):
 *
 * userland-proxy=false ("hairpin mode"):
 * - the nat OUTPUT jump to DOCKER loses `! -d 127.0.0.0/8` (`! -d ::1/128`);
 * - `-A DOCKER -i <bridge> -j RETURN` (SKIP DNAT) goes;
 * - DNAT rules lose `! -i <bridge>`;
 * - `-A POSTROUTING -o <bridge> -m addrtype --src-type LOCAL -j MASQUERADE` is
 *   added before the bridge's own MASQUERADE rule;
 * - the per-port self-MASQUERADE `-s C -d C --dport CP` is added where missing
 *   (28+ programs it only with the proxy off).
 *
 * userland-proxy=true: the reverse (the loopback exclusion, `! -i <bridge>` on
 * each DNAT rule, SKIP DNAT per bridge up to 28.x), and the MASQUERADE of
 * local sources goes.
 *
 * Each derived rule keeps the source of the rule it comes from (or sits next
 * to), so evidence cites the host's own line, and says what changed.
 */
import { bridgeOf, type HostModel } from "../analyze/model.js";
import { familyOf, inCidr } from "../net/index.js";
import type { RuleRecord } from "../types.js";
import { atLeast, type WhatIfFacts } from "./facts.js";

export type Change = "userland-proxy=false" | "userland-proxy=true";

export interface DerivedRule {
  /** What dockerd would do to the rule set, in words. */
  what: string;
  /** The derived rule (null when a rule goes). */
  rule: RuleRecord | null;
  /** The host's rule it comes from, replaces or sits next to. */
  from: RuleRecord;
}

export interface Derivation {
  rules: RuleRecord[];
  changes: DerivedRule[];
  /** Why no rule set could be derived (the caller then answers `unknown`). */
  unsupported: string | null;
  /** Notes that qualify every answer through the rules. */
  notes: string[];
  /**
   * `--src-type LOCAL` MASQUERADE rules an older dockerd leaves behind when the
   * proxy comes back on (≤ 20.10, moby#44721): they qualify the answer for host clients.
   */
  lingering: string[];
}

const LOOPBACK: Record<4 | 6, string> = { 4: "127.0.0.0/8", 6: "::1/128" };

function isLoopbackCidr(cidr: string): boolean {
  return cidr === "127.0.0.0/8" || cidr === "::1/128" || cidr === "::1";
}

/** The nat jump from OUTPUT (iptables) or nat-OUTPUT (Docker's nft tables) to Docker's DNAT chain. */
function isOutputJump(r: RuleRecord): boolean {
  return (r.table === "nat" && r.chain === "OUTPUT" && r.target === "DOCKER") || (r.table === "docker-bridges" && r.chain === "nat-OUTPUT" && r.target !== null && !["ACCEPT", "DROP", "RETURN"].includes(r.target));
}

function isDockerDnat(r: RuleRecord): boolean {
  return r.target === "DNAT" && r.nat !== null && r.nat.addr !== null && (r.table === "nat" || r.table === "docker-bridges");
}

/** `-A DOCKER -i <bridge> -j RETURN`: nothing else matched. */
function isSkipDnat(r: RuleRecord): boolean {
  const m = r.matches;
  return r.table === "nat" && r.chain === "DOCKER" && r.target === "RETURN" && m.inIface !== null && !m.inIface.negated && !m.src && !m.dst && !m.proto && !m.dport && m.other.length === 0;
}

/** `-A POSTROUTING -o <bridge> -m addrtype --src-type LOCAL -j MASQUERADE`. */
function isMasqLocal(r: RuleRecord): boolean {
  const m = r.matches;
  return r.table === "nat" && r.chain === "POSTROUTING" && r.target === "MASQUERADE" && m.outIface !== null && !m.outIface.negated && m.srcType?.value === "LOCAL" && !m.srcType.negated;
}

/** The bridge's own MASQUERADE: `-s <subnet> ! -o <bridge> -j MASQUERADE`. */
function bridgeMasq(rules: readonly RuleRecord[], family: 4 | 6, bridge: string): RuleRecord | undefined {
  return rules.find((r) => r.family === family && r.table === "nat" && r.chain === "POSTROUTING" && r.target === "MASQUERADE" && r.matches.outIface?.negated && r.matches.outIface.value === bridge && r.matches.src && !r.matches.src.negated);
}

function selfMasqText(addr: string, proto: string, port: number, family: 4 | 6, nft: boolean): string {
  const host = family === 6 ? "128" : "32";
  if (nft) return `${family === 6 ? "ip6" : "ip"} saddr ${addr} ${family === 6 ? "ip6" : "ip"} daddr ${addr} ${proto} dport ${port} masquerade`;
  return `-A POSTROUTING -s ${addr}/${host} -d ${addr}/${host} -p ${proto} -m ${proto} --dport ${port} -j MASQUERADE`;
}

function copy(r: RuleRecord, patch: Partial<RuleRecord["matches"]>, text: string, position = r.position): RuleRecord {
  return { ...r, position, packets: null, bytes: null, matches: { ...r.matches, ...patch }, text };
}

function added(near: RuleRecord, chain: string, position: number, matches: Partial<RuleRecord["matches"]>, target: string, text: string): RuleRecord {
  return {
    ...near,
    chain,
    position,
    packets: null,
    bytes: null,
    matches: { inIface: null, outIface: null, src: null, dst: null, proto: null, sport: null, dport: null, srcType: null, dstType: null, ctstate: null, mark: null, comment: null, other: [], ...matches },
    target,
    goto: false,
    nat: null,
    targetArgs: [],
    handle: null,
    text,
  };
}

/** Docker programs SKIP DNAT (`-i <bridge> -j RETURN`) up to 28.x; 29 dropped it (docker-paths §1.8). */
function skipDnatVersion(m: HostModel, f: WhatIfFacts): boolean | null {
  if (f.docker) return !atLeast(f.docker.value, [29, 0, 0]);
  if (m.dockerVersion.value.startsWith(">= 29")) return false;
  if (m.dockerVersion.value === "unknown") return null;
  return true;
}

export function deriveRules(m: HostModel, f: WhatIfFacts, change: Change): Derivation {
  const out: Derivation = { rules: [], changes: [], unsupported: null, notes: [], lingering: [] };
  if (m.firewallBackend.value === "nftables") {
    out.unsupported = "the rules of Docker's nftables backend (29.x) with the proxy toggled are not derived yet";
    out.rules = m.rules;
    return out;
  }
  const off = change === "userland-proxy=false";
  const rules: RuleRecord[] = [];
  for (const r of m.rules) {
    const fam = r.family;
    if (off && isOutputJump(r) && r.matches.dst?.negated && isLoopbackCidr(r.matches.dst.value)) {
      const d = copy(r, { dst: null }, r.text.replace(/\s*!\s+-d\s+\S+/, "").replace(/\s*ip6? daddr != \S+/, ""));
      out.changes.push({ what: `nat OUTPUT sends loopback traffic to DOCKER too (no ! -d ${LOOPBACK[fam]})`, rule: d, from: r });
      rules.push(d);
      continue;
    }
    if (!off && isOutputJump(r) && r.matches.dst === null) {
      // iptables-nft's rules as `nft list ruleset` shows them carry the same matches in nft words
      const text = r.format === "nft" ? `${fam === 6 ? "ip6" : "ip"} daddr != ${fam === 6 ? "::1" : LOOPBACK[4]} ${r.text}` : r.text.replace(/-A OUTPUT /, `-A OUTPUT ! -d ${LOOPBACK[fam]} `);
      const d = copy(r, { dst: { value: LOOPBACK[fam], negated: true } }, text);
      out.changes.push({ what: `nat OUTPUT leaves loopback traffic alone (! -d ${LOOPBACK[fam]}), for docker-proxy`, rule: d, from: r });
      rules.push(d);
      continue;
    }
    if (off && isSkipDnat(r)) {
      out.changes.push({ what: `no SKIP DNAT for traffic from ${r.matches.inIface!.value}: it is DNATed too`, rule: null, from: r });
      continue;
    }
    if (off && isDockerDnat(r) && r.matches.inIface?.negated) {
      const d = copy(r, { inIface: null }, r.text.replace(/\s*!\s+-i\s+\S+/, "").replace(/\s*iifname != \S+/, ""));
      out.changes.push({ what: `the DNAT rule applies to traffic from ${r.matches.inIface.value} too (no ! -i)`, rule: d, from: r });
      rules.push(d);
      continue;
    }
    if (!off && isDockerDnat(r) && r.matches.inIface === null) {
      const br = bridgeOf(m, r.nat!.addr!)?.name ?? null;
      if (br) {
        const d = copy(r, { inIface: { value: br, negated: true } }, r.format === "nft" ? `iifname != "${br}" ${r.text}` : r.text.replace(/^(-A DOCKER(?: -d \S+)?)/, `$1 ! -i ${br}`));
        out.changes.push({ what: `the DNAT rule leaves traffic from ${br} to docker-proxy (! -i ${br})`, rule: d, from: r });
        rules.push(d);
        continue;
      }
    }
    if (!off && isMasqLocal(r)) {
      out.changes.push({ what: `no MASQUERADE of the host's own traffic into ${r.matches.outIface!.value}`, rule: null, from: r });
      if (f.docker && !atLeast(f.docker.value, [23, 0, 0])) out.lingering.push(r.matches.outIface!.value);
      continue;
    }
    rules.push(r);
  }

  if (off) {
    // MASQUERADE of local sources into each bridge, before the bridge's own MASQUERADE (as dockerd orders them)
    for (const fam of [4, 6] as const) {
      for (const br of m.bridges) {
        if (!br.subnets.some((s) => familyOf(s.replace(/\/\d+$/, "")) === fam)) continue;
        if (rules.some((r) => r.family === fam && isMasqLocal(r) && r.matches.outIface!.value === br.name)) continue;
        const near = bridgeMasq(rules, fam, br.name);
        if (!near) continue;
        const text = near.format === "nft" ? `oifname "${br.name}" fib saddr type local masquerade` : `-A POSTROUTING -o ${br.name} -m addrtype --src-type LOCAL -j MASQUERADE`;
        const d = added(near, "POSTROUTING", near.position - 0.5, { outIface: { value: br.name, negated: false }, srcType: { value: "LOCAL", negated: false } }, "MASQUERADE", text);
        out.changes.push({ what: `traffic from the host's own addresses into ${br.name} is masqueraded to the gateway (route_localnet makes 127/8 sources possible)`, rule: d, from: near });
        rules.push(d);
      }
    }
    // the per-port self-MASQUERADE (28+ adds it only with the proxy off)
    let last = 0;
    for (const r of rules) if (r.table === "nat" && r.chain === "POSTROUTING") last = Math.max(last, r.position);
    for (const r of rules.filter(isDockerDnat)) {
      const addr = r.nat!.addr!;
      const proto = r.matches.proto?.value ?? "tcp";
      const port = r.nat!.port ?? r.matches.dport?.value[0]?.from ?? null;
      if (port === null) continue;
      const fam = r.family;
      const host = fam === 6 ? 128 : 32;
      const have = rules.some((x) => x.table === "nat" && x.chain === "POSTROUTING" && x.target === "MASQUERADE" && x.family === fam && x.matches.src?.value === `${addr}/${host}` && x.matches.dst?.value === `${addr}/${host}` && (x.matches.proto?.value ?? "tcp") === proto && x.matches.dport?.value.some((p) => p.from <= port && port <= p.to));
      if (have) continue;
      const text = selfMasqText(addr, proto, port, fam, r.format === "nft");
      const d = added(r, "POSTROUTING", last + 1 + out.changes.length / 1000, { src: { value: `${addr}/${host}`, negated: false }, dst: { value: `${addr}/${host}`, negated: false }, proto: { value: proto, negated: false }, dport: { value: [{ from: port, to: port }], negated: false } }, "MASQUERADE", text);
      out.changes.push({ what: `a container reaching its own published port is masqueraded (self-MASQUERADE for ${addr}:${port}/${proto})`, rule: d, from: r });
      rules.push(d);
    }
  } else {
    const skip = skipDnatVersion(m, f);
    if (skip === null) out.notes.push("Docker's version is unknown: SKIP DNAT rules (`-A DOCKER -i <bridge> -j RETURN`, up to 28.x) were assumed");
    if (skip !== false) {
      for (const fam of [4, 6] as const) {
        const dockerChain = rules.filter((r) => r.family === fam && r.table === "nat" && r.chain === "DOCKER");
        if (dockerChain.length === 0) continue;
        const first = dockerChain.reduce((a, b) => (a.position <= b.position ? a : b));
        for (const [i, br] of m.bridges.entries()) {
          if (!br.subnets.some((s) => familyOf(s.replace(/\/\d+$/, "")) === fam)) continue;
          if (dockerChain.some((r) => isSkipDnat(r) && r.matches.inIface!.value === br.name)) continue;
          // only bridges with ip-masq (their own MASQUERADE rule) get SKIP DNAT: not --internal ones
          if (!bridgeMasq(rules, fam, br.name)) continue;
          const text = first.format === "nft" ? `iifname "${br.name}" return` : `-A DOCKER -i ${br.name} -j RETURN`;
          const d = added(first, "DOCKER", first.position - 1 + i / 100, { inIface: { value: br.name, negated: false } }, "RETURN", text);
          out.changes.push({ what: `SKIP DNAT for traffic from ${br.name}: docker-proxy takes it`, rule: d, from: first });
          rules.push(d);
        }
      }
    }
  }
  out.rules = rules;
  return out;
}

/** The bridge a container address (or any address) sits on, by subnet. */
export function bridgeName(m: HostModel, ip: string): string | null {
  return bridgeOf(m, ip)?.name ?? m.bridges.find((b) => b.gateways.includes(ip))?.name ?? null;
}

/** Whether `ip` falls in a subnet of `bridge`. */
export function onBridge(m: HostModel, ip: string, bridge: string): boolean {
  return m.bridges.some((b) => b.name === bridge && b.subnets.some((s) => inCidr(ip, s) === true));
}
