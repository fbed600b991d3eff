/**
 * `nft list ruleset` and `nft -a list ruleset` (also `nft list table|chain`,
 * and /etc/nftables.conf-style files without variables): tables, base and
 * regular chains, rules. Format: input-formats.md §5.4/§5.5, docker-paths.md §1.8.
 *
 * Layout is a brace-nested text: `table FAMILY NAME {` > `chain NAME {` (or
 * `set`/`map`/`flowtable`/named-object blocks) > one rule per line. Rules are
 * split into tokens (quoted strings and `{ ... }` sets stay one token) and walked
 * statement by statement; what natlens models goes to RuleMatches/NatTarget,
 * everything else stays verbatim in `matches.other` / `targetArgs` with a
 * diagnostic.
 *
 * Representation choices (see the docs of RuleRecord):
 * - verdicts and actions use the iptables target names (`ACCEPT`, `DROP`,
 *   `RETURN`, `REJECT`, `DNAT`, `SNAT`, `MASQUERADE`, `REDIRECT`, `MARK`,
 *   `CONNMARK`, `LOG`, `QUEUE`); `jump X`/`goto X` give target X; `continue`
 *   gives no target (targetArgs `continue`).
 * - ct states and address types are upper-cased as in iptables (`ESTABLISHED`,
 *   `LOCAL`); marks are written `0x1` or `0x1/0xff` (value/mask) as iptables does.
 * - interface wildcards stay in nft syntax (`br-*`, iptables writes `br-+`).
 * - tables of family inet/bridge/netdev/arp: records get family 4 (6 when the
 *   rule only matches IPv6) and the table family name in `matches.other`.
 * - verdict maps (`oifname vmap @m`): kept verbatim in `other`, target null; the
 *   map's elements (when the map was listed before) go to `targetArgs`.
 *
 * Modules: lexer.ts (tokens), statements.ts (one rule's statements),
 * blocks.ts (tables, chains, sets and maps; the LineParser); this file, the
 * FormatParser (registry id `nft`).
 */
import type { FormatParser } from "../../format.js";
import { NftParser } from "./blocks.js";

export { tokenize } from "./lexer.js";
export { LOST_XT } from "./statements.js";

const TABLE_RE = /^table (ip|ip6|inet|arp|bridge|netdev) \S+ \{( # handle \d+)?\s*$/;
const WARN_RE = /^# Warning: table \S+ \S+ is managed by iptables-nft, do not touch!$/;
const CHAIN_RE = /^\s+chain \S+ \{( # handle \d+)?\s*$/;
const HOOK_RE = /^\s+type (filter|nat|route) hook \S+ /;
/** A chain copied without its table (any indentation), for a pasted fragment. */
const BARE_CHAIN_RE = /^\s*chain [\w.-]+ \{( # handle \d+)?\s*$/;
/** Statements only nft rule lines have. */
const NFT_RULE_RE = /\bcounter packets \d+ bytes \d+\b|\b(dnat|snat)( ip6?)? to \S|\b(jump|goto) \S+\s*$|\b(iifname|oifname) (!= )?"[^"]+"|\bfib daddr type local\b/;

export const nft: FormatParser = {
  id: "nft",
  title: "nftables rule set (nft list ruleset, nft -a list ruleset)",
  kinds: ["rule", "chain"],
  commands: ["nft list ruleset", "nft -a list ruleset", "nft list table ip nat"],
  sniff(head) {
    let score = 0;
    let bareChain = false;
    for (const l of head) {
      if (TABLE_RE.test(l) || WARN_RE.test(l)) return 0.95;
      if (l.startsWith('{"nftables": [{"metainfo": ')) return 0.9;
      if (CHAIN_RE.test(l)) score = Math.max(score, 0.45);
      else if (HOOK_RE.test(l)) score = Math.max(score, 0.45);
      if (BARE_CHAIN_RE.test(l)) bareChain = true;
      // a chain pasted without its table, with nft rule lines in it
      else if (bareChain && NFT_RULE_RE.test(l)) return 0.75;
    }
    return score;
  },
  // a table or warning line starts with `t` or `#`, JSON with `{`; chain and hook lines hold `chain ` and ` hook `
  // (looked for without the blank: a search led by a rarer character is faster); rule lines count only below a chain
  rejects(head) {
    for (const l of head) {
      const c = l.charCodeAt(0);
      if (c === 116 || c === 35 || c === 123 || l.includes("hain ") || l.includes("hook ")) return false;
    }
    return true;
  },
  create: (ctx) => new NftParser(ctx),
};
