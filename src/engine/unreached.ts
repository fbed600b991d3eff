/**
 * Partial rule dumps: `iptables -t nat -S DOCKER` alone, a listing of one
 * chain, or an `iptables -L` fragment holds the chain with Docker's DNAT or
 * filter rules but not the base chain that jumps to it. A walk from the base
 * chains would never enter it and answer "not NATed" with no doubt; instead
 * the chain is entered as Docker enters it, and the answer says so.
 */
import type { RuleRecord } from "../types.js";

const XT_FORMATS = new Set(["iptables-save", "iptables-list"]);
const BASES: Record<string, string[]> = { nat: ["PREROUTING", "OUTPUT"], filter: ["FORWARD"] };
const BUILTINS = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);

export interface Reached {
  /** The rules with one assumed jump per unreached chain at the top of each base chain. */
  rules: RuleRecord[];
  /** One sentence per assumed jump, for the answer. */
  assumed: string[];
}

/**
 * Find iptables chains of the nat and filter tables that hold rules but that
 * no base chain reaches in the dump, and enter each from the base chains
 * Docker jumps from (nat: PREROUTING and OUTPUT, filter: FORWARD) with an
 * unconditional jump placed first. Chains reached from another unreached
 * chain are entered through it. A complete dump comes back unchanged.
 */
export function reachUnreachedChains(rules: RuleRecord[]): Reached {
  const byKey = new Map<string, RuleRecord[]>();
  for (const r of rules) {
    if (!XT_FORMATS.has(r.format) || !BASES[r.table]) continue;
    const k = `${r.family}\u0000${r.table}\u0000${r.chain}`;
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r);
  }
  if (byKey.size === 0) return { rules, assumed: [] };
  // chains reached from the base chains, following jumps and gotos
  const reached = new Set<string>();
  const walk = (k: string): void => {
    if (reached.has(k)) return;
    reached.add(k);
    const [family, table] = k.split("\u0000") as [string, string, string];
    for (const r of byKey.get(k) ?? []) if (r.target) walk(`${family}\u0000${table}\u0000${r.target}`);
  };
  for (const k of byKey.keys()) if (BUILTINS.has(k.split("\u0000")[2]!)) walk(k);
  const unreached = [...byKey.keys()].filter((k) => !reached.has(k));
  if (unreached.length === 0) return { rules, assumed: [] };
  // jumped to from another unreached chain: entered through that one
  const inner = new Set<string>();
  for (const k of unreached) {
    const [family, table] = k.split("\u0000") as [string, string, string];
    for (const r of byKey.get(k)!) if (r.target && r.target !== k.split("\u0000")[2]) inner.add(`${family}\u0000${table}\u0000${r.target}`);
  }
  const added: RuleRecord[] = [];
  const assumed: string[] = [];
  for (const k of unreached) {
    if (inner.has(k)) continue;
    const first = byKey.get(k)![0]!;
    const bases = BASES[first.table]!;
    for (const base of bases) {
      added.push({
        kind: "rule",
        source: first.source,
        format: first.format,
        family: first.family,
        table: first.table,
        chain: base,
        position: 0,
        packets: null,
        bytes: null,
        matches: { inIface: null, outIface: null, src: null, dst: null, proto: null, sport: null, dport: null, srcType: null, dstType: null, ctstate: null, mark: null, comment: null, other: [] },
        target: first.chain,
        goto: false,
        nat: null,
        targetArgs: [],
        handle: null,
        text: `-A ${base} -j ${first.chain}  (assumed: no jump to ${first.chain} in the inputs)`,
      });
    }
    assumed.push(
      `${first.table} chain ${first.chain}${first.family === 6 ? " (IPv6)" : ""} holds rules that no base chain in the inputs reaches (a dump of one chain or a fragment?): ` +
        `traced as if ${bases.join(" and ")} jumped to it first, as Docker does; the answer holds only if ${bases.length > 1 ? "they do" : "it does"}`,
    );
  }
  return { rules: added.length ? [...added, ...rules] : rules, assumed };
}
