/**
 * The order of nat base chains that share a hook and a priority.
 *
 * Two nat base chains of different tables at one hook and priority (an
 * iptables nat table and a native nft `type nat` chain at `dstnat`, say) run
 * in the order they were registered, which no capture shows, and the first
 * to translate a connection wins. When both hold NAT rules the order is an
 * assumption: as listed (iptables first), or the other way round.
 */
import type { BaseChain, Chain } from "./chains.js";
import type { Chooser } from "./state.js";
import type { Hook } from "./types.js";

/** One key per table: its kind (xt, nft), family and name. */
function tableKey(c: Pick<Chain, "kind" | "family" | "table">): string {
  return `${c.kind}\u0000${c.family}\u0000${c.table}`;
}

/** How a base chain is named in the assumption: `ip nat PREROUTING`, `nft ip nat prerouting`. */
function chainName(b: BaseChain): string {
  const c = b.chain;
  const family = c.kind === "xt" ? c.family.replace(/-legacy$/, " (legacy)") : `nft ${c.family}`;
  return `${family} ${c.table} ${c.name}`;
}

export class NatOrder {
  /** Tables that hold a NAT rule. */
  private natTables: Set<string> | null = null;

  constructor(private readonly chains: ReadonlyMap<string, Chain>) {}

  /** `bases` in the order the chooser assumes for each run of same-priority nat chains of NAT-holding tables. */
  order(bases: BaseChain[], hook: Hook, chooser: Chooser): BaseChain[] {
    if (!this.natTables) {
      this.natTables = new Set();
      for (const c of this.chains.values()) if (c.rules.some((r) => r.nat !== null)) this.natTables.add(tableKey(c));
    }
    const nat = this.natTables;
    let out = bases;
    for (let i = 0; i < out.length; ) {
      const b = out[i]!;
      let j = i + 1;
      while (j < out.length && out[j]!.type === "nat" && b.type === "nat" && out[j]!.priority === b.priority) j++;
      const run = out.slice(i, j);
      const tables = new Set(run.map((x) => tableKey(x.chain)).filter((k) => nat.has(k)));
      if (tables.size > 1) {
        const names = run.map(chainName).join(" and ");
        const asListed = chooser.choose(`the order of the nat chains ${names} (same ${hook.toUpperCase()} priority ${b.priority}: the kernel runs them in the order they were registered, which no capture shows); assumed as listed`, null);
        if (!asListed) out = [...out.slice(0, i), ...run.reverse(), ...out.slice(j)];
      }
      i = j;
    }
    return out;
  }
}
