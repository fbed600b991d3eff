/**
 * The `iptables -L` LineParser: blocks of chains (one table each, inferred
 * from the built-in chain set or NAT-only targets when no banner names it),
 * `Chain` lines, the column header, rule rows (rows above any `Chain` line go
 * to an unknown chain), and line accounting.
 */
import type { LineParser, ParseContext } from "../../format.js";
import type { ChainRecord, Negatable, PortRange, RuleMatches, RuleRecord } from "../../types.js";
import { BannerLines, emptyMatches, iptablesChain, iptablesRule, NAT_TARGETS, parsePorts, protoName } from "../_iptables-rule.js";
import { normalizeCidrCached } from "../../net/index.js";
import { servicePort } from "../_services.js";
import { addrLike, CHAIN_RE, type Columns, describeColumns, fields, isOptColumn, KNOWN_NAMES, negated, parseCount, PROTO_WORD, rowColumns, sameColumns } from "./columns.js";
import { readTail, type TailResult } from "./tail.js";

export const FORMAT = "iptables-list";
const ROW_HINT = "rows look like `    0     0 DNAT  tcp  --  !docker0 *  0.0.0.0/0  0.0.0.0/0  tcp dpt:8080 to:172.17.0.2:80`";

const BUILTIN_CHAINS = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);
/** Name of the chain that rows cut from above their `Chain` line go to, when no command names it. */
export const UNKNOWN_CHAIN = "(unknown)";

interface Block {
  /** Table named by a `$ iptables -t X -L` banner between blocks. */
  table: string | null;
  family: 4 | 6 | null;
  pending: (RuleRecord | ChainRecord)[];
  builtins: string[];
  userChains: Set<string>;
  natTarget: { target: string; line: number } | null;
  firstLine: number;
}

export class IptablesListParser implements LineParser {
  private block: Block | null = null;
  private cols: Columns | null = null;
  private chain: string | null = null;
  private position = 0;
  private nextTable: string | null = null;
  private nextFamily: 4 | 6 | null = null;
  private legacyReported = false;
  private unresolved = new Set<string>();
  private unknownServices = new Set<string>();
  private noIfacesReported = false;
  /** The chain a banner's `-L CHAIN` names. */
  private bannerChain: string | null = null;
  private columnsReported = false;

  /** `$ iptables -t nat -L -n` banners (the top one and those between listings) name the table, family and chain of what follows. */
  private readonly banners: BannerLines;

  constructor(private readonly ctx: ParseContext) {
    this.banners = new BannerLines(ctx, "L", (b) => {
      this.close();
      this.nextTable = b.table;
      this.nextFamily = b.family;
      this.chain = null;
      this.bannerChain = b.chain;
    });
  }

  private open(no: number): Block {
    this.close();
    this.block = {
      table: this.nextTable,
      family: this.nextFamily,
      pending: [],
      builtins: [],
      userChains: new Set(),
      natTarget: null,
      firstLine: no,
    };
    this.nextTable = null;
    return this.block;
  }

  /**
   * The table a block's chains belong to, from the built-in chain set (which
   * iptables lists first, in a fixed order per table) or NAT-only targets.
   * With `final` false it answers only once the answer cannot change.
   */
  private infer(b: Block, final: boolean): { table: string; why: string } | null {
    const has = (c: string) => b.builtins.includes(c);
    // built-in chain sets that only one table has (iptables lists them first, in a fixed order)
    if (has("PREROUTING") && has("POSTROUTING") && !has("FORWARD")) return { table: "nat", why: "its built-in chains (PREROUTING/INPUT/OUTPUT/POSTROUTING) are the nat table's" };
    if (has("FORWARD") && (has("PREROUTING") || has("POSTROUTING"))) return { table: "mangle", why: "it has all five built-in chains, like the mangle table" };
    if (has("PREROUTING") && has("OUTPUT") && !has("INPUT") && !has("POSTROUTING")) return { table: "raw", why: "its only built-in chains are PREROUTING and OUTPUT, like the raw table" };
    if (has("FORWARD") && !has("PREROUTING") && !has("POSTROUTING")) return { table: "filter", why: "its built-in chains are INPUT/FORWARD/OUTPUT (filter; security has the same)" };
    if (!final) return null;
    if (b.natTarget) return { table: "nat", why: `the NAT-only target ${b.natTarget.target} appears (line ${b.natTarget.line})` };
    return { table: "filter", why: "no set of built-in chains tells the table and no NAT-only target (DNAT, SNAT, MASQUERADE, REDIRECT) appears" };
  }

  /** Decide the table when possible, and emit what waited once table and family are known. */
  private settle(b: Block, final: boolean): void {
    if (b.table === null) {
      const t = this.infer(b, final);
      if (t) {
        b.table = t.table;
        this.ctx.report("warning", b.firstLine, "W_TABLE_ASSUMED", `listing does not name its table: assumed "${t.table}" because ${t.why}`, undefined, "put the command line (`$ iptables -t nat -L -n -v`) above each listing when several are concatenated, or use iptables-save");
      }
    }
    if (final && b.family === null) b.family = 4;
    if (b.table === null || b.family === null) return;
    for (const r of b.pending) {
      r.table = b.table;
      r.family = b.family;
      this.ctx.emit(r);
    }
    b.pending = [];
  }

  private out(b: Block, r: RuleRecord | ChainRecord): void {
    if (b.table !== null && b.family !== null && b.pending.length === 0) {
      r.table = b.table;
      r.family = b.family;
      this.ctx.emit(r);
    } else b.pending.push(r);
  }

  private close(): void {
    const b = this.block;
    if (!b) return;
    this.block = null;
    this.settle(b, true);
  }


  line(text: string, no: number): void {
    const t = text.trim();
    if (this.banners.line(t, no)) return;
    if (t.startsWith("Chain ")) return this.chainLine(t, text, no);
    const c0 = t.charCodeAt(0);
    if ((c0 >= 48 && c0 <= 57) || (this.cols && !this.cols.counters && !this.cols.num && c0 !== 35 && c0 !== 36 && !t.startsWith("target ") && !t.startsWith("===") && !t.startsWith("Total Number"))) {
      return this.row(t, text, no);
    }
    if (t.startsWith("num ") || t.startsWith("pkts ") || t.startsWith("target ")) {
      const h = t.split(/\s+/);
      this.cols = { num: h[0] === "num", counters: h.includes("pkts"), ifaces: h.includes("in"), opt: h.includes("opt") };
      if (!this.cols.ifaces && !this.noIfacesReported) {
        this.noIfacesReported = true;
        this.ctx.report("warning", no, "W_NO_INTERFACES", "listing without -v: the in/out interface columns are missing, so rules with -i/-o look broader than they are", text, "list with -v (iptables -L -n -v) or use iptables-save");
      }
      if (!h.includes("source") || !h.includes("destination")) {
        this.ctx.skip(no, "E_IPT_LIST_HEADER", "column header without source/destination columns", text, "the header looks like ` pkts bytes target     prot opt in     out     source               destination`");
        return;
      }
      this.ctx.ignore(no, "header");
      return;
    }
    if (t.startsWith("# Warning: ")) {
      const w = /^# Warning: (ip6?tables)-legacy tables present/.exec(t);
      if (w && !this.legacyReported) {
        this.legacyReported = true;
        this.ctx.report("warning", no, "W_LEGACY_TABLES", `${w[1]}-legacy tables exist next to the nf_tables ones listed here: the rules that really apply may be in the legacy listing`, t, `collect ${w[1]}-legacy -L (or ${w[1]}-legacy-save) too`);
      }
      this.ctx.ignore(no, w ? "legacy-tables warning" : "comment");
      return;
    }
    if (t.startsWith("===") || /^Total Number of Rules: \d+$/.test(t)) {
      this.ctx.ignore(no, "trailer");
      return;
    }
    if (rowColumns(t)) return this.row(t, text, no);
    this.ctx.skip(no, "E_IPT_LIST_LINE", "not a line of an iptables -L listing", text, "listings consist of `Chain NAME (...)` lines, a column header and rule rows");
  }

  private chainLine(t: string, text: string, no: number): void {
    const m = CHAIN_RE.exec(t);
    if (!m) {
      this.ctx.skip(no, "E_IPT_LIST_CHAIN", "chain line is not `Chain NAME (policy P N packets, M bytes)` or `Chain NAME (N references)`", text, "e.g. `Chain DOCKER (2 references)`");
      return;
    }
    const name = m[1]!;
    const builtin = m[2] !== undefined;
    let b = this.block;
    if (!b || (builtin && (b.builtins.includes(name) || b.userChains.size > 0)) || (!builtin && b.userChains.has(name))) b = this.open(no);
    if (builtin) b.builtins.push(name);
    else b.userChains.add(name);
    this.chain = name;
    this.position = 0;
    this.cols = null;
    this.out(b, iptablesChain(FORMAT, this.ctx.file, no, name, builtin, builtin ? m[2]! : null, m[3] !== undefined ? parseCount(m[3]) : null, m[4] !== undefined ? parseCount(m[4]) : null));
    if (b.table === null) this.settle(b, false);
  }

  private addr(text: string, no: number, line: string): Negatable<string> | null {
    const { v, neg } = negated(text);
    if (v === "0.0.0.0/0" || v === "::/0") this.setFamily(v === "::/0" ? 6 : 4);
    if (v === "anywhere" || v === "0.0.0.0/0" || v === "::/0") return neg ? { value: v === "::/0" ? "::/0" : "0.0.0.0/0", negated: true } : null;
    let c = normalizeCidrCached(v, this.ctx.caches);
    if (!c) {
      const slash = v.indexOf("/");
      const host = slash < 0 ? v : v.slice(0, slash);
      const known = KNOWN_NAMES[host];
      if (known) c = normalizeCidrCached(slash < 0 ? known : known + v.slice(slash), this.ctx.caches);
    }
    if (c) {
      this.setFamily(c.includes(":") ? 6 : 4);
      return { value: c, negated: neg };
    }
    if (!this.unresolved.has(v)) {
      this.unresolved.add(v);
      this.ctx.report("warning", no, "W_UNRESOLVED", `host name ${JSON.stringify(v)} kept as written: natlens does not resolve names`, line, "list with -n (iptables -L -n -v) to get addresses");
    }
    return { value: v, negated: neg };
  }

  /**
   * Rows before any `Chain` line (a listing cut above them): they go to the
   * chain a `-L CHAIN` command names, else to UNKNOWN_CHAIN, with a warning.
   */
  private unknownChain(no: number, text: string): Block {
    const b = this.block ?? this.open(no);
    const name = this.bannerChain ?? UNKNOWN_CHAIN;
    const builtin = BUILTIN_CHAINS.has(name);
    if (builtin) b.builtins.push(name);
    else b.userChains.add(name);
    this.chain = name;
    this.position = 0;
    this.out(b, iptablesChain(FORMAT, this.ctx.file, no, name, builtin, null, null, null));
    this.ctx.report(
      "warning",
      no,
      "W_IPT_LIST_NO_CHAIN",
      name === UNKNOWN_CHAIN
        ? `rule rows before any \`Chain\` line (a fragment of a listing): read into chain "${UNKNOWN_CHAIN}"; its name, its table and the chains that jump to it are not in the input`
        : `rule rows before any \`Chain\` line: read into chain ${name}, which the command lists; its policy and the chains that jump to it are not in the input`,
      text,
      "paste the listing from its `Chain` line, or use iptables-save",
    );
    return b;
  }

  private row(t: string, text: string, no: number): void {
    let cols = this.cols;
    if (!cols) {
      cols = rowColumns(t);
      if (!cols) {
        this.ctx.skip(no, "E_IPT_LIST_ROW", "rule row before any `Chain` line and column header, and its columns cannot be told from the row (were columns removed?)", text, "paste the listing as iptables printed it, from its first `Chain` line");
        return;
      }
      this.cols = cols;
    }
    const b = this.block && this.chain !== null ? this.block : this.unknownChain(no, text);
    let h = this.head(t, cols, no, text);
    if (typeof h === "string") {
      // the poster may have removed columns: read the row by its own shape when that is unambiguous
      const own = rowColumns(t);
      const again = own && !sameColumns(own, cols) ? this.head(t, own, no, text) : null;
      if (again === null || typeof again === "string") return this.bad(no, text, own && !sameColumns(own, cols) ? h : `${h}; the row's own columns are ambiguous`);
      if (!this.columnsReported) {
        this.columnsReported = true;
        this.ctx.report("warning", no, "W_IPT_LIST_COLUMNS", `row does not have the columns of the header above it (columns removed?): read as \`${describeColumns(own!)}\` from its shape`, text, "paste the listing as iptables printed it");
      }
      h = again;
    }
    const { num, packets, bytes, target, m, fieldsEnd } = h;
    const tail = t.slice(fieldsEnd).trim();
    const r: TailResult = readTail(tail, m, target, (spec, proto) => this.ports(spec, proto, no, text), this.ctx.caches);
    if (r.error !== null) return this.bad(no, text, r.error);
    if (target !== null && NAT_TARGETS.has(target) && target !== "MASQUERADE" && !b.natTarget) b.natTarget = { target, line: no };
    if (target === "MASQUERADE" && !b.natTarget) b.natTarget = { target, line: no };
    if (r.nat && r.nat.addr) this.setFamily(r.nat.addr.includes(":") ? 6 : 4);
    this.position++;
    this.out(b, iptablesRule(FORMAT, this.ctx.file, no, { chain: this.chain!, position: num ?? this.position, packets, bytes, matches: m, target, goto: r.goto, nat: r.nat, targetArgs: r.targetArgs, text: t }));
    if (b.pending.length && b.table !== null && b.family !== null) this.settle(b, false);
  }

  /** The columns before the free-text tail, read as `cols` says; an error text when they do not fit. */
  private head(t: string, cols: Columns, no: number, text: string): string | { num: number | null; packets: number | null; bytes: number | null; target: string | null; m: RuleMatches; fieldsEnd: number } {
    const lead = (cols.num ? 1 : 0) + (cols.counters ? 2 : 0);
    const { f, ends } = fields(t, lead + 3 + (cols.ifaces ? 2 : 0) + 2);
    let k = 0;
    let num: number | null = null;
    if (cols.num) {
      num = parseCount(f[k++] ?? "");
      if (num === null) return "the first column is not a rule number";
    }
    let packets: number | null = null;
    let bytes: number | null = null;
    if (cols.counters) {
      packets = parseCount(f[k++] ?? "");
      bytes = parseCount(f[k++] ?? "");
      if (packets === null || bytes === null) return "pkts/bytes columns are not counters";
    }
    // target may be blank (a rule without -j); opt is `--`, `-f` or `!f`
    let target: string | null;
    let prot: string;
    let opt = "--";
    const at = k;
    if (!cols.opt) {
      if (!PROTO_WORD.test(f[at + 1] ?? "")) return "cannot find the target and prot columns";
      target = f[at]!;
      prot = f[at + 1]!;
      k = at + 2;
    } else if (isOptColumn(f[at + 1] ?? "")) {
      target = null;
      prot = f[at]!;
      k = at + 2;
      opt = f[k - 1]!;
    } else if (isOptColumn(f[at + 2] ?? "")) {
      target = f[at]!;
      prot = f[at + 1]!;
      k = at + 3;
      opt = f[k - 1]!;
    } else {
      return "cannot find the target, prot and opt columns";
    }
    const need = k + (cols.ifaces ? 2 : 0) + 2;
    if (f.length < need) return `expected ${need} columns, found ${f.length}`;
    if (!addrLike(f[need - 2]) && !addrLike(f[need - 1]) && rowColumns(t) !== null && !sameColumns(rowColumns(t)!, cols)) return "the source and destination columns hold no addresses";
    const m: RuleMatches = emptyMatches();
    if (cols.ifaces) {
      m.inIface = this.iface(f[k++]!);
      m.outIface = this.iface(f[k++]!);
    }
    m.src = this.addr(f[k++]!, no, text);
    m.dst = this.addr(f[k++]!, no, text);
    const fieldsEnd = ends[need - 1]!;
    const p = negated(prot);
    const pn = protoName(p.v);
    m.proto = pn === null ? null : { value: pn, negated: p.neg };
    if (opt === "-f") m.other.push("-f");
    else if (opt === "!f") m.other.push("! -f");
    return { num, packets, bytes, target, m, fieldsEnd };
  }

  private setFamily(f: 4 | 6): void {
    const b = this.block;
    if (b && b.family === null) b.family = f;
  }

  private bad(no: number, text: string, why: string): void {
    this.ctx.skip(no, "E_IPT_LIST_ROW", `cannot read the rule row: ${why}`, text, ROW_HINT);
  }

  private iface(text: string): Negatable<string> | null {
    const { v, neg } = negated(text);
    if (v === "*" || v === "any") return null;
    return { value: v, negated: neg };
  }

  private ports(spec: string, proto: string, no: number, line: string): PortRange[] | null {
    const pr = proto === "udp" ? "udp" : "tcp";
    const p = parsePorts(spec, (name) => servicePort(name, pr));
    if (!p && !this.unknownServices.has(spec)) {
      this.unknownServices.add(spec);
      this.ctx.report("warning", no, "W_UNKNOWN_SERVICE", `port ${JSON.stringify(spec)} is not a number or a known service name; kept in other matches`, line, "list with -n to get port numbers");
    }
    return p;
  }

  /** Read the free-text tail into matches and target details. */

  end(): void {
    this.close();
  }
}
