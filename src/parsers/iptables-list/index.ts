/**
 * `iptables -L` / `ip6tables -L` listings: with or without `-n`, `-v`, `-x`,
 * `--line-numbers`, one table or several concatenated (sosreport's
 * `iptables -vnxL` then `-t nat`). Format: input-formats.md §5.3.
 *
 * Rows are split on blanks, not columns (interface names overflow their
 * column), and the free-text tail (`tcp dpt:8080 to:172.17.0.2:80`) is read
 * into the same structured matches as `iptables-save`. A listing does not name
 * its table, so the table is inferred per block of chains (built-in chain
 * set, NAT-only targets) and reported with W_TABLE_ASSUMED; the records of a
 * block wait until the block ends.
 *
 * Counters without `-x` are rounded by iptables to K/M/G/T units of 1000
 * (`6047K` = 6047000); they are read as those numbers.
 *
 * Modules: columns.ts (the line grammar: Chain lines, counters, row columns),
 * tail.ts (a row's match and target printouts), blocks.ts (chains, blocks and
 * their tables: the LineParser); this file, the FormatParser (registry id
 * `iptables-list`).
 */
import type { FormatParser } from "../../format.js";
import { FORMAT, IptablesListParser } from "./blocks.js";
import { CHAIN_RE, rowColumns } from "./columns.js";

export { UNKNOWN_CHAIN } from "./blocks.js";
export { parseCount } from "./columns.js";

export const iptablesList: FormatParser = {
  id: FORMAT,
  title: "iptables -L / ip6tables -L listings (-n, -v, -x, --line-numbers; tables concatenated)",
  kinds: ["rule", "chain"],
  commands: ["iptables -t nat -L -n -v --line-numbers", "iptables -L -n -v -x", "iptables -vnxL", "ip6tables -t nat -L -n -v", "iptables -t nat -L"],
  sniff(head) {
    let chain = 0;
    let header = 0;
    for (const l of head) {
      if (l.startsWith("Chain ") && CHAIN_RE.test(l.trim())) chain++;
      else if (/^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\s+/.test(l)) header++;
    }
    if (chain && header) return 0.95;
    if (chain) return 0.85;
    if (header) return 0.7;
    // rows alone (`iptables -t nat -nvL | grep DNAT`): every one of the first lines reads as a row with an opt column
    const rows = head.slice(0, 8);
    if (rows.length >= 2 && rows.every((l) => { const c = rowColumns(l.trim()); return c !== null && c.opt; })) return 0.55;
    return 0;
  },
  // no `Chain` line, no header (it names `target`), and the first line is no row with an opt column
  rejects(head) {
    for (const l of head) if (l.startsWith("Chain ") || l.includes("target")) return false;
    if (head.length < 2) return true;
    const c = rowColumns(head[0]!.trim());
    return c === null || !c.opt;
  },
  create: (ctx) => new IptablesListParser(ctx),
};
