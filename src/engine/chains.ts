/**
 * Chain assembly: rules and chain records of iptables dumps and nft rulesets
 * grouped into chains (per kind, family, table and name), and the base chains
 * of each hook, ordered as netfilter runs them.
 *
 * iptables tables and nft base chains are merged into one list per hook,
 * ordered by priority (iptables before nft at equal priority, then input order).
 */
import type { ChainRecord, RuleRecord } from "../types.js";
import { buildChainIndex, type ChainIndex } from "./chain-index.js";
import type { Hook } from "./types.js";

const NAMED_PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

/** iptables tables: built-in chain -> (hook, priority). */
const XT_HOOKS: Record<string, Partial<Record<string, number>>> = {
  raw: { PREROUTING: -300, OUTPUT: -300 },
  mangle: { PREROUTING: -150, INPUT: -150, FORWARD: -150, OUTPUT: -150, POSTROUTING: -150 },
  nat: { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100 },
  filter: { INPUT: 0, FORWARD: 0, OUTPUT: 0 },
  security: { INPUT: 50, FORWARD: 50, OUTPUT: 50 },
};

const XT_FORMATS = new Set(["iptables-save", "iptables-list"]);

/** nft table families that are not on the IP hooks modelled here. */
export const NON_IP_FAMILIES = new Set(["bridge", "netdev", "arp"]);

export function parsePriority(text: string | null): number {
  if (text === null) return 0;
  const t = text.trim();
  const m = /^([a-z]+|-?\d+)\s*(?:([+-])\s*(\d+))?$/.exec(t);
  if (!m) return 0;
  const base = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : (NAMED_PRIORITIES[m[1]!] ?? 0);
  const off = m[3] ? Number(m[3]) * (m[2] === "-" ? -1 : 1) : 0;
  return base + off;
}

export interface Chain {
  key: string;
  kind: "xt" | "nft";
  /** `iptables`, `ip6tables` (`-legacy` appended for legacy dumps), or the nft table family (`ip`, `ip6`, `inet`). */
  family: string;
  table: string;
  name: string;
  rules: RuleRecord[];
  record: ChainRecord | null;
  /** Candidate index for long chains (see chain-index.ts); null for short ones. */
  index?: ChainIndex | null;
}

export interface BaseChain {
  chain: Chain;
  hook: Hook;
  priority: number;
  /** `nat` for iptables nat tables and nft `type nat` chains. */
  type: string;
  policy: "ACCEPT" | "DROP";
  families: ReadonlySet<4 | 6>;
}

export function chainKey(kind: string, family: string, table: string, name: string): string {
  return `${kind}\u0000${family}\u0000${table}\u0000${name}`;
}

function nftFamilyOfRule(r: RuleRecord): string {
  if (r.tableFamily) return r.tableFamily;
  const first = r.matches.other[0];
  if (first === "inet" || (first !== undefined && NON_IP_FAMILIES.has(first))) return first;
  return r.family === 6 ? "ip6" : "ip";
}

/**
 * The family label of an iptables chain: `iptables`/`ip6tables`, with
 * `-legacy` for a legacy dump. Legacy tables and iptables-nft tables are apart
 * in the kernel (both run), so their chains are never merged.
 */
function xtFamily(r: RuleRecord | ChainRecord): string {
  return `${r.family === 6 ? "ip6tables" : "iptables"}${r.backend === "legacy" ? "-legacy" : ""}`;
}

export interface AssembledChains {
  /** Every chain by chainKey(). */
  chains: Map<string, Chain>;
  /** Base chains in traversal order. */
  bases: BaseChain[];
}

/** Chains and base chains of a rule set; `index: false` leaves every chain without the long-chain index. */
export function assembleChains(rules: RuleRecord[], records: ChainRecord[], index = true): AssembledChains {
  const chains = new Map<string, Chain>();
  const bases: BaseChain[] = [];
  // nft: which table names hold inet / non-IP rules (chain records do not carry the nft table family).
  const nftTableFamilies = new Map<string, Set<string>>();
  const nftChainFamily = new Map<string, string>();
  for (const r of rules) {
    if (XT_FORMATS.has(r.format)) continue;
    const fam = nftFamilyOfRule(r);
    let s = nftTableFamilies.get(r.table);
    if (!s) nftTableFamilies.set(r.table, (s = new Set()));
    s.add(fam);
    nftChainFamily.set(`${r.table}\u0000${r.chain}\u0000${fam === "ip6" ? "ip" : fam}`, fam);
  }
  const famOfNftChain = (c: ChainRecord): string => {
    if (c.tableFamily) return c.tableFamily;
    const plain = c.family === 6 ? "ip6" : "ip";
    if (c.family === 6) return plain;
    const fams = nftTableFamilies.get(c.table);
    if (!fams) return plain;
    for (const f of ["inet", "bridge", "netdev", "arp"]) {
      if (nftChainFamily.has(`${c.table}\u0000${c.name}\u0000${f}`)) return f;
    }
    if (nftChainFamily.has(`${c.table}\u0000${c.name}\u0000ip`)) return plain;
    // an empty chain: the table's only family, when it has one
    const nonIp = [...fams].filter((f) => f !== "ip" && f !== "ip6");
    if (nonIp.length === 1 && !fams.has("ip")) return nonIp[0]!;
    return plain;
  };

  const get = (kind: "xt" | "nft", family: string, table: string, name: string): Chain => {
    const key = chainKey(kind, family, table, name);
    let c = chains.get(key);
    if (!c) {
      c = { key, kind, family, table, name, rules: [], record: null };
      chains.set(key, c);
    }
    return c;
  };

  for (const c of records) {
    const xt = XT_FORMATS.has(c.format);
    const fam = xt ? xtFamily(c) : famOfNftChain(c);
    const ch = get(xt ? "xt" : "nft", fam, c.table, c.name);
    if (!ch.record) ch.record = c;
  }
  for (const r of rules) {
    const xt = XT_FORMATS.has(r.format);
    let fam: string;
    if (xt) fam = xtFamily(r);
    else {
      fam = nftFamilyOfRule(r);
      // an inet rule that names an IPv6 address gets family 6 from the parser; it still lives in the inet table
      if (!r.tableFamily && fam === "ip6" && nftTableFamilies.get(r.table)?.has("inet") && !chains.has(chainKey("nft", "ip6", r.table, r.chain)) && chains.has(chainKey("nft", "inet", r.table, r.chain))) fam = "inet";
    }
    get(xt ? "xt" : "nft", fam, r.table, r.chain).rules.push(r);
  }
  for (const c of chains.values()) c.rules.sort((a, b) => a.position - b.position);
  for (const c of chains.values()) c.index = index ? buildChainIndex(c.rules) : null;

  for (const c of chains.values()) {
    if (c.kind === "xt") {
      const prio = XT_HOOKS[c.table]?.[c.name];
      if (prio === undefined) continue;
      const policy = c.record?.policy === "DROP" ? "DROP" : "ACCEPT";
      bases.push({
        chain: c,
        hook: c.name.toLowerCase() as Hook,
        priority: prio,
        type: c.table === "nat" ? "nat" : "filter",
        policy,
        families: new Set([c.family.startsWith("ip6tables") ? 6 : 4]),
      });
    } else {
      const rec = c.record;
      if (!rec || !rec.hook || NON_IP_FAMILIES.has(c.family)) continue;
      const hook = rec.hook.toLowerCase();
      if (!["prerouting", "input", "forward", "output", "postrouting"].includes(hook)) continue;
      bases.push({
        chain: c,
        hook: hook as Hook,
        priority: parsePriority(rec.priority),
        type: rec.type ?? "filter",
        policy: rec.policy === "DROP" ? "DROP" : "ACCEPT",
        families: new Set(c.family === "inet" ? [4, 6] : c.family === "ip6" ? [6] : [4]),
      });
    }
  }
  // stable: priority, then iptables before nft, then input order
  const order = new Map(bases.map((b, i) => [b, i]));
  // at one priority: iptables before nft, then by family, table and chain name, so that the order of
  // the input files never changes a trace (the kernel's order there is registration order, which no capture shows)
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  bases.sort(
    (a, b) =>
      a.priority - b.priority ||
      (a.chain.kind === b.chain.kind ? 0 : a.chain.kind === "xt" ? -1 : 1) ||
      cmp(a.chain.family, b.chain.family) ||
      cmp(a.chain.table, b.chain.table) ||
      cmp(a.chain.name, b.chain.name) ||
      order.get(a)! - order.get(b)!,
  );
  return { chains, bases };
}
