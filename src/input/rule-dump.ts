/**
 * What a firewall rule dump shows of the kernel's tables, read from the
 * command that printed it: `iptables-save` prints every table of its family
 * (a table it does not print is absent), `iptables-save -t nat` and
 * `iptables -t nat -S` / `-L` print one table, `nft list ruleset` prints every
 * nf_tables table of every family, `nft list table ip nat` one.
 *
 * The engine turns these scopes into table coverage (src/engine/coverage.ts):
 * a table a dump shows is present, a table a whole-family dump does not show
 * is absent, any other table was not captured and its verdicts are unknown.
 */
import { firstStage, shellWords, unwrap } from "./transcript.js";

export type RuleDumpFormat = "iptables-save" | "iptables-list" | "nft";

export interface RuleDumpScope {
  format: RuleDumpFormat;
  /** Address family of the dump; null: both (nft), or not told by the command. */
  family: 4 | 6 | null;
  /** `all`: every table of the family (of the backend) is shown; otherwise the tables named. */
  tables: "all" | string[];
}

/** A rule dump as the parse driver saw it: the scope, the file and line of its output, and how sure the scope is. */
export interface RuleDump extends RuleDumpScope {
  file: string;
  line: number;
  /** The command the scope was read from, or null when it is the format's default (`iptables-save`, `nft list ruleset`). */
  command: string | null;
  /** True when the dump printed no line at all (every table of its scope absent, if the command succeeded). */
  empty: boolean;
  /** The command's exit status when a MANIFEST records it. */
  exit: number | null;
}

const XT_SAVE = /^ip(6?)tables(?:-legacy|-nft)?-save$/;
const XT = /^ip(6?)tables(?:-legacy|-nft)?$/;

/** `-t nat`, `-tnat`, `--table nat`, `--table=nat`: the table named, or null. */
function tableOption(args: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-t" || a === "--table") return args[i + 1] ?? null;
    if (a.startsWith("--table=")) return a.slice(8);
    if (/^-t[a-z]+$/.test(a)) return a.slice(2);
  }
  return null;
}

/** The scope of the rule dump `command` prints, or null when it prints none (or another kind of capture). */
export function ruleDumpScope(command: string): RuleDumpScope | null {
  const w = unwrap(shellWords(firstStage(command)));
  if (w.length === 0) return null;
  const prog = w[0]!.replace(/^.*\//, "");
  const args = w.slice(1);
  let m = XT_SAVE.exec(prog);
  if (m) {
    const t = tableOption(args);
    return { format: "iptables-save", family: m[1] ? 6 : 4, tables: t ? [t] : "all" };
  }
  m = XT.exec(prog);
  if (m) {
    const short = args.filter((a) => /^-[A-Za-z]+$/.test(a)).join("");
    const list = args.includes("--list") || /L/.test(short) ? "iptables-list" : args.includes("--list-rules") || /S/.test(short) ? "iptables-save" : null;
    if (!list) return null;
    return { format: list, family: m[1] ? 6 : 4, tables: [tableOption(args) ?? "filter"] };
  }
  if (prog === "nft") {
    const words = args.filter((a) => !a.startsWith("-"));
    const i = words.indexOf("list");
    if (i < 0) return null;
    const what = words[i + 1];
    if (what === "ruleset") {
      const fam = words[i + 2];
      return { format: "nft", family: fam === "ip" ? 4 : fam === "ip6" ? 6 : null, tables: "all" };
    }
    if (what === "table" || what === "chain") {
      // `nft list table [family] name`: family defaults to ip
      const rest = words.slice(i + 2);
      const fams = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];
      const fam = rest.length > 1 && fams.includes(rest[0]!) ? rest[0]! : "ip";
      const name = rest.length > 1 && fams.includes(rest[0]!) ? rest[1] : rest[0];
      if (!name) return null;
      return { format: "nft", family: fam === "ip" ? 4 : fam === "ip6" ? 6 : null, tables: [name] };
    }
    return null;
  }
  return null;
}

/**
 * The command a collector's or sosreport's file name stands for, when the
 * name is a rule-dump command with `_` for spaces (`iptables_-t_nat_-nvL`,
 * `nft_list_ruleset`, `ip6tables-save`); null for any other name.
 */
export function ruleDumpCommandFromName(name: string): string | null {
  const base = name.replace(/^.*[/!]/, "");
  if (!/^(ip6?tables(?:-legacy|-nft)?(?:-save)?|nft)(?:_|$)/.test(base)) return null;
  return base.replace(/_/g, " ");
}
