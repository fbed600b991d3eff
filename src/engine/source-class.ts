/**
 * Source classes: what a rule set can tell about a source address. Two
 * packets whose sources fall in the same class (and whose other fields are
 * equal) meet the same decision at every rule, so one trace stands for both
 * (explain.ts keys its trace cache by the class).
 */
import { CACHE_MAX, inCidr, normalizeAddr } from "../net/index.js";
import { isLoopback } from "../net/addr.js";
import { hostAddrKey } from "./chain-index.js";
import type { Chain } from "./chains.js";
import { addrTypeMatches } from "./matches.js";
import type { HostFacts } from "./types.js";

/** Every source match of a rule set: host addresses (a set), other CIDRs and address types (lists). */
interface SourceMatches {
  hosts: Set<string>;
  nets: string[];
  types: string[];
}

function collectSourceMatches(chains: Iterable<Chain>): SourceMatches {
  const hosts = new Set<string>();
  const nets = new Set<string>();
  const types = new Set<string>();
  for (const c of chains) {
    for (const r of c.rules) {
      if (r.matches.srcType) types.add(r.matches.srcType.value);
      // a source that is a DNAT target may reach itself (hairpin): it has a class of its own
      if (r.nat?.addr && (r.target === "DNAT" || r.target === null)) {
        const n = normalizeAddr(r.nat.addr);
        if (n !== null) hosts.add(n);
      }
      if (!r.matches.src) continue;
      const host = hostAddrKey({ value: r.matches.src.value, negated: false });
      if (host !== null) hosts.add(host);
      else nets.add(r.matches.src.value);
    }
  }
  return { hosts, nets: [...nets], types: [...types] };
}

/**
 * The classes of one rule set, memoised per host facts (a rule set is traced
 * against the facts of each family). The rules read the source nowhere else;
 * after SNAT it is the rule's address for both packets of a class.
 */
export class SourceClasses {
  private matches: SourceMatches | null = null;
  private readonly memo = new WeakMap<HostFacts, Map<string, string>>();

  constructor(private readonly chains: ReadonlyMap<string, Chain>) {}

  /** The class key of `src`: equal keys, equal decisions at every rule. */
  of(src: string, facts: HostFacts): string {
    let memo = this.memo.get(facts);
    if (!memo) this.memo.set(facts, (memo = new Map()));
    let key = memo.get(src);
    if (key === undefined) {
      key = this.compute(src, facts);
      if (memo.size >= CACHE_MAX) memo.clear();
      memo.set(src, key);
    }
    return key;
  }

  private compute(src: string, facts: HostFacts): string {
    this.matches ??= collectSourceMatches(this.chains.values());
    const { hosts, nets, types } = this.matches;
    const a = normalizeAddr(src) ?? src;
    // the host address (or nothing), then one mark per CIDR, then per address type: "|" ends each part
    // a loopback source may not leave the host (route_localnet): its own mark
    let key = (hosts.has(a) ? a : "") + (isLoopback(a) ? "|lo|" : "|");
    for (let i = 0; i < nets.length; i++) {
      const r = inCidr(a, nets[i]!);
      key += r === null ? "?" : r ? "1" : "0";
    }
    for (const t of types) {
      const { hit, note } = addrTypeMatches(t, a, facts);
      key += `|${hit ? "1" : "0"}${note ?? ""}`;
    }
    return key;
  }
}
