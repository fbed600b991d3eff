/**
 * Table coverage: for each address family and each table that can decide a
 * packet's fate (raw, nat, filter), whether the captures show it.
 *
 * - `present`: a dump shows the table (its chains or rules are in the inputs);
 * - `absent`: a dump that prints every table of the family (`iptables-save`,
 *   `nft list ruleset`) does not show it, so the kernel has no such table and
 *   the hooks it would sit on let packets pass;
 * - `not-captured`: no dump tells either way (`iptables -t nat -L` alone says
 *   nothing about filter). A trace that passes a hook of such a table ends
 *   `unknown` (traversal.ts), and analyze says which table is missing.
 *
 * Limits: iptables-legacy tables are not in `nft list ruleset`, and the scope
 * of a dump is read from its command (src/input/rule-dump.ts); a dump whose
 * command is not known is taken as its format's default (`iptables-save`
 * prints every table), unless it holds a chain no base chain reaches (a
 * pasted fragment: unreached.ts fragmentFiles), which shows only its tables. mangle and security are not tracked: they rarely
 * decide a verdict and Docker puts nothing there.
 */
import type { RuleDump } from "../input/rule-dump.js";
import type { ChainRecord, RuleRecord } from "../types.js";
import { fragmentFiles } from "./unreached.js";
import type { Hook } from "./types.js";

export type TableState = "present" | "absent" | "not-captured";

/** The tables coverage is kept for, in hook order. */
export const COVERED_TABLES = ["raw", "nat", "filter"] as const;
export type CoveredTable = (typeof COVERED_TABLES)[number];

export interface TableFact {
  family: 4 | 6;
  table: CoveredTable;
  state: TableState;
  /** The dump that decided it (`file:line`), null for not-captured. */
  by: string | null;
  /** Why, in a few words: `iptables-save shows it`, `iptables-save prints every IPv4 table and not this one`. */
  how: string;
}

export interface TableCoverage {
  readonly facts: readonly TableFact[];
  state(family: 4 | 6, table: string): TableState;
}

const XT = new Set(["iptables-save", "iptables-list"]);

/**
 * Coverage from the rule dumps the parse driver reported (ParseSourceOptions.onRuleDump)
 * and the chains and rules they held.
 */
export function tableCoverage(dumps: readonly RuleDump[], chains: readonly ChainRecord[], rules: readonly RuleRecord[]): TableCoverage {
  // families of the iptables records of each file (a dump without a command tells its family by its records)
  const fileFamilies = new Map<string, Set<4 | 6>>();
  const present = new Map<string, string>();
  const note = (r: ChainRecord | RuleRecord): void => {
    const xt = XT.has(r.format);
    if (xt) {
      let s = fileFamilies.get(r.source.file);
      if (!s) fileFamilies.set(r.source.file, (s = new Set()));
      s.add(r.family);
    }
    // an nft table named like an iptables table of family ip/ip6 is iptables-nft's (or takes its place)
    const fam = xt ? r.family : r.tableFamily === "ip" ? 4 : r.tableFamily === "ip6" ? 6 : null;
    if (fam === null) return;
    const k = `${fam}|${r.table}`;
    if (!present.has(k)) present.set(k, `${r.source.file}:${r.source.line}`);
  };
  for (const c of chains) note(c);
  for (const r of rules) note(r);

  /** Whole-family dumps: family -> the first such dump. */
  const whole = new Map<4 | 6, RuleDump>();
  // a dump with no command whose chains no base chain reaches is a pasted fragment, not a whole ruleset
  const fragments = dumps.some((d) => d.command === null && d.tables === "all") ? fragmentFiles(rules as RuleRecord[], chains as ChainRecord[]) : new Set<string>();
  for (const d of dumps) {
    if (d.tables !== "all" || (d.exit !== null && d.exit !== 0)) continue;
    if (d.command === null && fragments.has(d.file)) continue;
    const fams: (4 | 6)[] = d.family !== null ? [d.family] : d.format === "nft" ? [4, 6] : [...(fileFamilies.get(d.file) ?? [])];
    for (const f of fams) if (!whole.has(f)) whole.set(f, d);
  }
  const facts: TableFact[] = [];
  const byKey = new Map<string, TableState>();
  for (const family of [4, 6] as const) {
    for (const table of COVERED_TABLES) {
      const k = `${family}|${table}`;
      const at = present.get(k);
      const w = whole.get(family);
      let fact: TableFact;
      if (at !== undefined) fact = { family, table, state: "present", by: at, how: "a dump shows it" };
      else if (w) {
        const what = w.command ?? (w.format === "nft" ? "nft list ruleset" : `${family === 6 ? "ip6" : "ip"}tables-save`);
        fact = { family, table, state: "absent", by: `${w.file}:${w.line}`, how: `${what} prints every IPv${family} table${w.empty ? " and printed none" : ""}, not this one` };
      } else fact = { family, table, state: "not-captured", by: null, how: `no dump shows the IPv${family} ${table} table or every IPv${family} table` };
      facts.push(fact);
      byKey.set(k, fact.state);
    }
  }
  return {
    facts,
    state: (family, table) => byKey.get(`${family}|${table}`) ?? "present",
  };
}

/** The hooks each covered table sits on. */
const TABLE_HOOKS: Record<CoveredTable, readonly Hook[]> = {
  raw: ["prerouting", "output"],
  nat: ["prerouting", "output", "input", "postrouting"],
  filter: ["input", "forward", "output"],
};

/** Tables of `family` the captures do not show that sit on `hook`: a packet passing it meets rules nobody saw. */
export function uncapturedTables(coverage: TableCoverage, hook: Hook, family: 4 | 6): CoveredTable[] {
  return COVERED_TABLES.filter((t) => TABLE_HOOKS[t].includes(hook) && coverage.state(family, t) === "not-captured");
}
