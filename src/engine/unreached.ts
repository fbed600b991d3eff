/**
 * Partial rule dumps: `iptables -t nat -S DOCKER` alone, a listing of one
 * chain, an `iptables -L` fragment, or an nft ruleset pasted without its base
 * chains (`table ip nat { chain DOCKER { ... dnat ... } }`, Docker 29's
 * `chain nat-prerouting-and-output` alone) holds the chain with Docker's DNAT
 * or filter rules but not the base chain that jumps to it. A walk from the
 * base chains would never enter it and answer "not NATed" with no doubt;
 * instead the chain is entered as Docker enters it, and the answer says so.
 */
import type { ChainRecord, RuleMatches, RuleRecord } from "../types.js";
import { NON_IP_FAMILIES } from "./chains.js";

const XT_FORMATS = new Set(["iptables-save", "iptables-list"]);
const BASES: Record<string, string[]> = { nat: ["PREROUTING", "OUTPUT"], filter: ["FORWARD"] };
const BUILTINS = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);
/** Why an assumed jump is there, as trace prints it (`assumed: jump DOCKER (no base chain in the dump)`). */
export const ASSUMED_JUMP = "no base chain in the dump";

export interface Reached {
  /** The rules with one assumed jump per unreached chain at the top of each base chain. */
  rules: RuleRecord[];
  /** The chain records with the base chains assumed for nft (the same array when none is). */
  chains: ChainRecord[];
  /** One sentence per assumed jump, for the answer. */
  assumed: string[];
}

function noMatches(): RuleMatches {
  return { inIface: null, outIface: null, src: null, dst: null, proto: null, sport: null, dport: null, srcType: null, dstType: null, ctstate: null, mark: null, comment: null, other: [] };
}

/** An unconditional jump from `chain` to `to` that no input holds, marked `assumed`. */
function assumedJump(first: RuleRecord, chain: string, to: string, text: string): RuleRecord {
  const r: RuleRecord = {
    kind: "rule",
    source: first.source,
    format: first.format,
    family: first.family,
    table: first.table,
    chain,
    position: 0,
    packets: null,
    bytes: null,
    matches: noMatches(),
    target: to,
    goto: false,
    nat: null,
    targetArgs: [],
    handle: null,
    text,
  };
  if (first.tableFamily !== undefined) r.tableFamily = first.tableFamily;
  r.assumed = ASSUMED_JUMP;
  return r;
}

/**
 * Chains that hold rules but that no base chain reaches, by key, and those of
 * them that another unreached chain jumps to (entered through that one).
 */
function unreachedChains(byKey: Map<string, RuleRecord[]>, bases: Iterable<string>, targets: (r: RuleRecord) => Iterable<string>): { top: string[] } {
  const reached = new Set<string>();
  const prefix = (k: string) => k.slice(0, k.lastIndexOf("\u0000") + 1);
  const walk = (k: string): void => {
    if (reached.has(k)) return;
    reached.add(k);
    for (const r of byKey.get(k) ?? []) for (const t of targets(r)) walk(prefix(k) + t);
  };
  for (const k of bases) walk(k);
  const unreached = [...byKey.keys()].filter((k) => !reached.has(k));
  const inner = new Set<string>();
  for (const k of unreached) {
    for (const r of byKey.get(k)!) for (const t of targets(r)) if (prefix(k) + t !== k) inner.add(prefix(k) + t);
  }
  return { top: unreached.filter((k) => !inner.has(k)) };
}

function group(rules: RuleRecord[], keyOf: (r: RuleRecord) => string | null): Map<string, RuleRecord[]> {
  const byKey = new Map<string, RuleRecord[]>();
  for (const r of rules) {
    const k = keyOf(r);
    if (k === null) continue;
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r);
  }
  return byKey;
}

/**
 * Find iptables chains of the nat and filter tables that hold rules but that
 * no base chain reaches in the dump, and enter each from the base chains
 * Docker jumps from (nat: PREROUTING and OUTPUT, filter: FORWARD) with an
 * unconditional jump placed first; nft chains the same way, from base chains
 * assumed in their table (see reachNft). Chains reached from another
 * unreached chain are entered through it. A complete dump comes back
 * unchanged (the same arrays).
 */
export function reachUnreachedChains(rules: RuleRecord[], chains: ChainRecord[] = []): Reached {
  const xt = reachXt(rules);
  const nft = reachNft(rules, chains);
  if (xt.added.length === 0 && nft.added.length === 0) return { rules, chains, assumed: [] };
  return {
    rules: [...xt.added, ...nft.added, ...rules],
    chains: nft.chains.length ? [...chains, ...nft.chains] : chains,
    assumed: [...xt.assumed, ...nft.assumed],
  };
}

/**
 * The files whose rule dumps hold a chain that no base chain reaches (what
 * reachUnreachedChains enters by assumption): such a dump is a fragment, never
 * a whole ruleset, whatever its format's default scope (coverage.ts).
 */
export function fragmentFiles(rules: RuleRecord[], chains: ChainRecord[]): Set<string> {
  const r = reachUnreachedChains(rules, chains);
  const files = new Set<string>();
  if (r.assumed.length) for (const x of r.rules) if (x.assumed !== undefined) files.add(x.source.file);
  return files;
}

function reachXt(rules: RuleRecord[]): { added: RuleRecord[]; assumed: string[] } {
  const byKey = group(rules, (r) => (XT_FORMATS.has(r.format) && BASES[r.table] ? `${r.family}\u0000${r.table}\u0000${r.chain}` : null));
  if (byKey.size === 0) return { added: [], assumed: [] };
  const bases = [...byKey.keys()].filter((k) => BUILTINS.has(k.split("\u0000")[2]!));
  const { top } = unreachedChains(byKey, bases, (r) => (r.target ? [r.target] : []));
  const added: RuleRecord[] = [];
  const assumed: string[] = [];
  for (const k of top) {
    const first = byKey.get(k)![0]!;
    const bases = BASES[first.table]!;
    for (const base of bases) added.push(assumedJump(first, base, first.chain, `-A ${base} -j ${first.chain}  (assumed: no jump to ${first.chain} in the inputs)`));
    assumed.push(
      `${first.table} chain ${first.chain}${first.family === 6 ? " (IPv6)" : ""} holds rules that no base chain in the inputs reaches (a dump of one chain or a fragment?): ` +
        `traced as if ${bases.join(" and ")} jumped to it first, as Docker does; the answer holds only if ${bases.length > 1 ? "they do" : "it does"}`,
    );
  }
  return { added, assumed };
}

// ------------------------------------------------------------------ nft --

/** nft jumps: the rule's target and every `jump X` / `goto X` in its text or its verdict map's elements. */
function nftTargets(r: RuleRecord): string[] {
  const out: string[] = r.target ? [r.target] : [];
  const scan = (t: string) => {
    if (!t.includes("jump") && !t.includes("goto")) return;
    for (const m of t.matchAll(/\b(?:jump|goto)\s+"?([^\s",{}]+)"?/g)) out.push(m[1]!);
  };
  scan(r.text);
  for (const a of r.targetArgs) scan(a);
  return out;
}

/** The hooks Docker enters a chain of this kind from: nat (DNAT, REDIRECT), nat postrouting (SNAT, MASQUERADE) or filter. */
const NFT_HOOKS = {
  dnat: [
    { hook: "prerouting", name: "PREROUTING", type: "nat", priority: "dstnat" },
    { hook: "output", name: "OUTPUT", type: "nat", priority: "-100" },
  ],
  snat: [{ hook: "postrouting", name: "POSTROUTING", type: "nat", priority: "srcnat" }],
  filter: [{ hook: "forward", name: "FORWARD", type: "filter", priority: "filter" }],
} as const;

/**
 * nft: a chain of an IP-family table with rules that no base chain of its
 * table reaches is entered from base chains assumed in that table, as
 * Docker's are: one holding DNAT or REDIRECT (itself or the chains it jumps
 * to) from nat prerouting and output, one holding only SNAT or MASQUERADE from
 * nat postrouting, a filter chain (table `filter`, a `filter-*` or `DOCKER*`
 * chain) from forward. Other unreached chains (a user's own, never jumped to)
 * are left alone.
 */
function reachNft(rules: RuleRecord[], chains: ChainRecord[]): { added: RuleRecord[]; chains: ChainRecord[]; assumed: string[] } {
  const fam = (x: RuleRecord | ChainRecord) => x.tableFamily ?? (x.family === 6 ? "ip6" : "ip");
  const byKey = group(rules, (r) => (r.format === "nft" && !NON_IP_FAMILIES.has(fam(r)) ? `${fam(r)}\u0000${r.table}\u0000${r.chain}` : null));
  if (byKey.size === 0) return { added: [], chains: [], assumed: [] };
  const named = new Set<string>();
  const bases: string[] = [];
  for (const c of chains) {
    if (c.format !== "nft") continue;
    const k = `${fam(c)}\u0000${c.table}\u0000${c.name}`;
    named.add(k);
    if (c.hook !== null) bases.push(k);
  }
  const { top } = unreachedChains(byKey, bases, nftTargets);
  const added: RuleRecord[] = [];
  const addedChains: ChainRecord[] = [];
  const assumed: string[] = [];
  for (const k of top) {
    const first = byKey.get(k)![0]!;
    // what the chain does, with the chains it jumps to
    const seen = new Set<string>();
    const targets = new Set<string>();
    const prefix = k.slice(0, k.lastIndexOf("\u0000") + 1);
    const visit = (key: string): void => {
      if (seen.has(key)) return;
      seen.add(key);
      for (const r of byKey.get(key) ?? []) {
        if (r.target) targets.add(r.target);
        for (const t of nftTargets(r)) visit(prefix + t);
      }
    };
    visit(k);
    const kind = targets.has("DNAT") || targets.has("REDIRECT") ? "dnat" : targets.has("SNAT") || targets.has("MASQUERADE") ? "snat" : first.table === "filter" || /^(filter-|DOCKER)/.test(first.chain) ? "filter" : null;
    if (kind === null) continue;
    const via: string[] = [];
    for (const h of NFT_HOOKS[kind]) {
      const name = named.has(`${prefix}${h.name}`) ? `${h.name} (assumed)` : h.name;
      if (!addedChains.some((c) => fam(c) === fam(first) && c.table === first.table && c.name === name)) {
        const base: ChainRecord = {
          kind: "chain",
          source: first.source,
          format: "nft",
          family: first.family,
          table: first.table,
          name,
          builtin: true,
          policy: "ACCEPT",
          packets: null,
          bytes: null,
          hook: h.hook,
          priority: h.priority,
          type: h.type,
        };
        if (first.tableFamily !== undefined) base.tableFamily = first.tableFamily;
        addedChains.push(base);
      }
      added.push(assumedJump(first, name, first.chain, `jump ${first.chain}  (assumed: no base chain in the inputs jumps to ${first.chain})`));
      via.push(`${h.type} ${h.hook}`);
    }
    assumed.push(
      `${fam(first)} ${first.table} chain ${first.chain} holds rules that no base chain in the inputs reaches (a ruleset pasted without its base chains?): ` +
        `traced as if base chains of hooks ${via.join(" and ")} jumped to it first, as Docker's do; the answer holds only if ${via.length > 1 ? "they do" : "it does"}`,
    );
  }
  return { added, chains: addedChains, assumed };
}
