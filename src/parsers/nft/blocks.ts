/**
 * nft rule-set structure: the brace-nested blocks (`table FAMILY NAME {` >
 * `chain NAME {` or `set`/`map`/`flowtable`/named-object blocks > one rule per
 * line), base chains (type, hook, priority, policy), verdict-map elements, and
 * the line accounting and diagnostics of the whole input.
 */
import type { LineParser, ParseContext } from "../../format.js";
import type { ChainRecord, RuleRecord } from "../../types.js";
import { setElements, splitTop, stripHandle, tokenize, unquote } from "./lexer.js";
import { LOST_XT, RuleWalker } from "./statements.js";

const FAMILIES: Record<string, 4 | 6> = { ip: 4, ip6: 6, inet: 4, arp: 4, bridge: 4, netdev: 4 };
const BLOCKS = new Set(["set", "map", "flowtable", "counter", "quota", "limit", "secmark", "synproxy"]);
const CT_OBJECTS = new Set(["helper", "timeout", "expectation"]);
const DIAG_CAP = 50;

interface Table {
  family: string;
  name: string;
  fam: 4 | 6;
  /** A chain pasted without its `table` line: read into UNKNOWN_TABLE, which ends where the input or the next table does. */
  fragment?: true;
}

/** The table of chains pasted without their `table FAMILY NAME {` line. */
export const UNKNOWN_TABLE = "(unknown)";

interface Block {
  kind: string;
  name: string;
  depth: number;
  /** Text of `elements = { ... }` of a verdict map, collected across lines. */
  elements: string | null;
  collecting: boolean;
  verdict: boolean;
}

interface PendingRule {
  rec: RuleRecord;
  no: number;
  notes: { severity: "info" | "warning"; code: string; message: string }[];
}

/** The line parser of one nft input. */
export class NftParser implements LineParser {
  private table: Table | null = null;
  private chain: { name: string; position: number; rec: ChainRecord | null } | null = null;
  private block: Block | null = null;
  private readonly maps = new Map<string, string[]>();
  /** Elements of named sets (and non-verdict maps) listed so far, by `family table\0name`. */
  private readonly namedSets = new Map<string, string[]>();
  private pending: PendingRule | null = null;
  private readonly counts = new Map<string, number>();

  constructor(private readonly ctx: ParseContext) {}

  private note(severity: "info" | "warning", no: number | null, code: string, message: string, text?: string, hint?: string): void {
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n <= DIAG_CAP) this.ctx.report(severity, no, code, message, text, hint);
  }

  line(raw: string, no: number): void {
    const text = raw.trim();
    // `nft -a`: a rule whose target nft could not print ends its line with the
    // stderr message; its `# handle N` comes on the next line.
    if (this.pending) {
      if (text.startsWith("# handle ")) {
        const h = text.slice(9);
        if (/^\d+$/.test(h)) {
          this.pending.rec.handle = Number(h);
          this.flush();
          return;
        }
      }
      this.flush();
    }
    if (text.startsWith("#")) {
      this.ctx.ignore(no, "comment");
      return;
    }
    if (text.startsWith("XT target ") || text.startsWith("XT match ")) {
      // stderr of nft captured apart from its rule (2>&1 with other buffering)
      this.note("warning", no, "W_NFT_XT_LOST", `nft could not print an iptables-nft ${text.slice(3, text.indexOf(" ", 3))}: ${text}; the rule it belongs to lost its action`, text, "collect `iptables-save` and `ip6tables-save` next to `nft list ruleset`");
      this.ctx.ignore(no, "stderr");
      return;
    }
    if (this.table?.fragment && !this.chain && !this.block && (text.startsWith("table ") || text === "}")) {
      // the table of a pasted chain ends where a real table starts (or at a stray brace of the cut)
      this.table = null;
      if (text === "}") return this.ctx.ignore(no, "fragment brace");
    }
    if ((this.block || this.table) && (text.startsWith("table ") || (text.startsWith("chain ") && this.block))) {
      const tk = tokenize(stripHandle(text).body);
      if (tk[tk.length - 1] === "{" && (tk[0] === "table" || this.block)) {
        // a block or table that was never closed (cut or concatenated dumps): close it here
        const what = this.block ? `${this.block.kind} ${this.block.name}` : this.chain ? `chain ${this.chain.name}` : `table ${this.table!.name}`;
        this.ctx.report("warning", no, "W_NFT_UNCLOSED", `${what} has no closing brace before this line; closed here`, raw, "the dump may be cut or several dumps concatenated");
        this.block = null;
        if (tk[0] === "table") {
          this.emitChain();
          this.chain = null;
          this.table = null;
        }
      }
    }
    if (this.block) {
      this.blockLine(text);
      return;
    }
    if (!this.table) {
      this.topLine(text, raw, no);
      return;
    }
    if (!this.chain) {
      this.tableLine(text, raw, no);
      return;
    }
    this.chainLine(text, raw, no);
  }

  private topLine(text: string, raw: string, no: number): void {
    if (text.startsWith("table ")) {
      const tk = tokenize(stripHandle(text).body);
      if (tk.length === 4 && tk[3] === "{" && FAMILIES[tk[1]!] !== undefined) {
        this.table = { family: tk[1]!, name: unquote(tk[2]!), fam: FAMILIES[tk[1]!]! };
        if (this.table.family !== "ip" && this.table.family !== "ip6") {
          this.note(
            "info",
            no,
            "I_NFT_TABLE_FAMILY",
            `table ${this.table.family} ${this.table.name}: its rules apply to ${this.table.family === "inet" ? "IPv4 and IPv6" : `the ${this.table.family} family`}; records get family 4 (6 for IPv6-only rules) and "${this.table.family}" in other matches`,
          );
        }
        return;
      }
      if (tk.length === 3 && tk[2] === "{") {
        // `table NAME {` without a family means ip
        this.table = { family: "ip", name: unquote(tk[1]!), fam: 4 };
        return;
      }
    }
    if (text.startsWith("chain ")) {
      const tk = tokenize(stripHandle(text).body);
      if (tk.length === 3 && tk[2] === "{") {
        // a chain copied out of a ruleset without its table line
        this.table = { family: "ip", name: UNKNOWN_TABLE, fam: 4, fragment: true };
        this.ctx.report(
          "warning",
          no,
          "W_NFT_NO_TABLE",
          `chain ${unquote(tk[1]!)} outside any table (a fragment of a ruleset): read into table ip "${UNKNOWN_TABLE}"; its table, its family (IPv4 assumed) and the base chains that jump to it are not in the input`,
          raw,
          "paste the ruleset from its `table FAMILY NAME {` line, or the whole `nft list ruleset`",
        );
        this.tableLine(text, raw, no);
        return;
      }
    }
    if (text.startsWith('{"nftables"')) {
      this.ctx.skip(no, "E_NFT_JSON", "nft JSON output (`nft -j list ruleset`) is not read", raw.slice(0, 200), "capture `nft list ruleset` (or `nft -a list ruleset`) without -j");
      return;
    }
    if (text === "flush ruleset") {
      this.ctx.ignore(no, "script");
      return;
    }
    this.ctx.skip(no, "E_NFT_SYNTAX", "not an nft table header (`table FAMILY NAME {`) at the top level", raw, "natlens reads `nft list ruleset` output; scripts with `define`/`include` or `add rule` commands are not supported");
  }

  private tableLine(text: string, raw: string, no: number): void {
    if (text === "}") {
      this.table = null;
      return;
    }
    const tk = tokenize(stripHandle(text).body);
    const last = tk[tk.length - 1];
    if (tk[0] === "chain" && tk.length === 3 && last === "{") {
      const name = unquote(tk[1]!);
      this.chain = {
        name,
        position: 0,
        rec: {
          kind: "chain",
          source: { file: this.ctx.file, line: no },
          format: "nft",
          family: this.table!.fam,
          table: this.table!.name,
          name,
          builtin: false,
          policy: null,
          packets: null,
          bytes: null,
          hook: null,
          priority: null,
          type: null,
          tableFamily: this.table!.family,
        },
      };
      return;
    }
    if (tk[0] === "chain" && tk.length === 3 && last!.startsWith("{") && last!.endsWith("}")) {
      // one-line chain as written in configs and docs: `chain X { type ...; policy ...; rule; rule }`
      this.tableLine(`chain ${tk[1]} {`, raw, no);
      for (const part of splitTop(last!.slice(1, -1), 59)) {
        if (!part) continue;
        if (part.startsWith("type ") || part.startsWith("policy ")) this.baseChain(this.chain!.rec!, part);
        else this.chainLine(part, part, no);
      }
      this.chainLine("}", raw, no);
      return;
    }
    if (BLOCKS.has(tk[0]!) && tk.length === 3 && last!.startsWith("{") && last!.endsWith("}")) {
      // one-line set/map: nothing to keep (verdict maps are only read from listings)
      return;
    }
    if (last === "{" && ((BLOCKS.has(tk[0]!) && tk.length === 3) || (tk[0] === "ct" && CT_OBJECTS.has(tk[1]!) && tk.length === 4))) {
      const name = unquote(tk[tk.length - 2]!);
      this.block = { kind: tk[0] === "ct" ? `ct ${tk[1]}` : tk[0]!, name, depth: 1, elements: null, collecting: false, verdict: false };
      return;
    }
    if (tk[0] === "flags" || tk[0] === "comment") {
      this.ctx.ignore(no, "table-attribute");
      return;
    }
    this.ctx.skip(no, "E_NFT_SYNTAX", `unexpected line in table ${this.table!.family} ${this.table!.name}: expected \`chain\`, \`set\`, \`map\`, \`flowtable\` or \`}\``, raw, "the input may be cut or edited; compare with `nft list ruleset`");
  }

  private blockLine(text: string): void {
    const b = this.block!;
    if (b.depth === 1 && text.startsWith("type ") && text.includes(": verdict")) b.verdict = true;
    if (b.depth === 1 && text.startsWith("elements = ")) {
      b.collecting = true;
      b.elements = "";
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        const j = text.indexOf('"', i + 1);
        i = j < 0 ? text.length : j;
      } else if (c === 123) b.depth++;
      else if (c === 125) b.depth--;
    }
    if (b.collecting) {
      b.elements += (b.elements ? " " : "") + (b.elements === "" ? text.slice(text.indexOf("{")) : text);
      if (b.depth <= 1) {
        b.collecting = false;
        const els = setElements(b.elements!);
        if (this.table) (b.verdict ? this.maps : this.namedSets).set(`${this.table.family} ${this.table.name}\u0000${b.name}`, els);
      }
    }
    if (b.depth <= 0) this.block = null;
  }

  private emitChain(): void {
    const c = this.chain;
    if (c?.rec) {
      this.ctx.emit(c.rec);
      c.rec = null;
    }
  }

  private chainLine(text: string, raw: string, no: number): void {
    const c = this.chain!;
    if (text === "}") {
      this.emitChain();
      this.chain = null;
      return;
    }
    if (c.rec && (text.startsWith("type ") || text.startsWith("policy "))) {
      this.baseChain(c.rec, text);
      return;
    }
    if (c.rec && c.position === 0 && text.startsWith("comment ") && tokenize(text).length === 2) {
      this.ctx.ignore(no, "chain-comment");
      return;
    }
    if (c.rec && c.position === 0 && text.startsWith("devices = ")) {
      return;
    }
    this.emitChain();
    this.rule(text, raw, no);
  }

  private baseChain(rec: ChainRecord, text: string): void {
    for (const part of text.split(";")) {
      const tk = tokenize(part.trim());
      for (let i = 0; i < tk.length; i++) {
        const w = tk[i]!;
        if (w === "type" && tk[i + 1]) rec.type = tk[++i]!;
        else if (w === "hook" && tk[i + 1]) {
          rec.hook = tk[++i]!;
          rec.builtin = true;
        } else if (w === "priority") {
          rec.priority = tk.slice(i + 1).join(" ") || null;
          break;
        } else if (w === "policy" && tk[i + 1]) rec.policy = tk[++i]!.toUpperCase();
      }
    }
  }

  private rule(text: string, raw: string, no: number): void {
    const { body, handle } = stripHandle(text);
    const tk = tokenize(body);
    const first = tk[0] ?? "";
    if (!/^[a-z@][a-z0-9_-]*$/.test(first) && first !== "XT") {
      this.ctx.skip(no, "E_NFT_RULE", `not an nft rule in chain ${this.chain!.name}`, raw, "rules are nft statements such as `iifname \"docker0\" counter return`");
      return;
    }
    const table = this.table!;
    const w = new RuleWalker(tk, this.maps, `${table.family} ${table.name}`, this.ctx.caches);
    w.walk();
    const c = this.chain!;
    c.position++;
    // stdout without nft's stderr: an unprintable xt target leaves a trailing blank
    const lastRaw = raw.charCodeAt(raw.length - 1);
    const lostBlank = body.endsWith(" ") || body.endsWith("\t") || lastRaw === 32 || lastRaw === 9;
    let family: 4 | 6 = table.fam;
    if (table.family !== "ip" && table.family !== "ip6") {
      family = w.famHint ?? 4;
      w.m.other.unshift(table.family);
    }
    const rec: RuleRecord = {
      kind: "rule",
      source: { file: this.ctx.file, line: no },
      format: "nft",
      family,
      table: table.name,
      chain: c.name,
      position: c.position,
      packets: w.packets,
      bytes: w.bytes,
      matches: w.m,
      target: w.target ?? w.action,
      goto: w.goto,
      nat: w.nat,
      targetArgs: w.targetArgs,
      handle,
      text,
      tableFamily: table.family,
    };
    const sets: Record<string, string[]> = {};
    for (const ref of w.sets) {
      const els = this.namedSets.get(`${table.family} ${table.name}\u0000${ref.slice(1)}`);
      if (els) sets[ref.slice(1)] = els;
    }
    if (Object.keys(sets).length > 0) rec.sets = sets;
    const notes: PendingRule["notes"] = [];
    if (w.xtLost) {
      notes.push({
        severity: "warning",
        code: "W_NFT_XT_LOST",
        message: `rule ${c.position} of ${table.family} ${table.name} ${c.name}: nft could not show the iptables-nft ${w.xtLost}; its arguments are lost`,
      });
    } else if (lostBlank && w.target === null && w.action === null && w.vmap === null) {
      rec.targetArgs.push(LOST_XT);
      notes.push({
        severity: "warning",
        code: "W_NFT_XT_LOST",
        message: `rule ${c.position} of ${table.family} ${table.name} ${c.name}: ends with a statement nft could not print (an iptables-nft xt target, reported on stderr); its action is unknown`,
      });
    }
    if (w.vmap) {
      notes.push({
        severity: "info",
        code: "I_NFT_VMAP",
        message: `verdict map kept verbatim (${w.vmap}); ${w.targetArgs.length ? "its elements are in targetArgs" : "its elements were not listed before the rule"}`,
      });
    }
    if (w.sets.length) {
      notes.push({ severity: "info", code: "I_NFT_SET", message: `named set ${w.sets.join(", ")} kept verbatim in other matches${rec.sets ? "; its elements are in sets" : "; its elements were not listed before the rule"}` });
    }
    if (w.unmodelled.length) {
      notes.push({ severity: "info", code: "I_NFT_OTHER", message: `kept verbatim: ${w.unmodelled.join("; ")}` });
    }
    const p: PendingRule = { rec, no, notes };
    if (w.xtLost && handle === null && (body.endsWith(" not found") || body.endsWith(" not found\t"))) {
      this.pending = p;
      return;
    }
    this.pending = p;
    this.flush();
  }

  private flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.ctx.emit(p.rec);
    for (const n of p.notes) this.note(n.severity, p.no, n.code, n.message, p.rec.text, n.code === "W_NFT_XT_LOST" ? "collect `iptables-save` / `ip6tables-save` too: they show the target of rules made by iptables-nft" : undefined);
  }

  end(): void {
    this.flush();
    if (this.chain) this.emitChain();
    if ((this.table && !this.table.fragment) || this.block || this.chain) {
      this.ctx.report("warning", null, "W_NFT_TRUNCATED", `input ends inside ${this.block ? `${this.block.kind} ${this.block.name}` : this.chain ? `chain ${this.chain.name}` : `table ${this.table!.name}`}: the dump looks cut`, undefined, "capture the whole `nft list ruleset` output");
    }
    for (const [code, n] of this.counts) {
      if (n > DIAG_CAP) this.ctx.report("info", null, code, `${n - DIAG_CAP} more ${code} diagnostics not shown`);
    }
  }
}
