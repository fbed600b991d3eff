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
 */
import type { FormatParser, LineParser, ParseContext } from "../format.js";
import type { ChainRecord, NatTarget, Negatable, PortRange, RuleMatches, RuleRecord } from "../types.js";
import { cachedIn, type ParseCaches } from "../context.js";
import { normalizeCidrCached } from "../net/index.js";
import { servicePort } from "./_services.js";
import { emptyMatches, parseNatSpec } from "./_iptables-rule.js";

const FAMILIES: Record<string, 4 | 6> = { ip: 4, ip6: 6, inet: 4, arp: 4, bridge: 4, netdev: 4 };
/** Heads of two-word keys a verdict map can be keyed on (`tcp dport vmap`, `ip saddr vmap`, `ct state vmap`, `meta l4proto vmap`). */
const VMAP_KEY_HEADS = new Set(["tcp", "udp", "sctp", "dccp", "udplite", "th", "ip", "ip6", "meta", "ct"]);
const L4_PROTOS = new Set(["tcp", "udp", "sctp", "dccp", "udplite"]);
const BLOCKS = new Set(["set", "map", "flowtable", "counter", "quota", "limit", "secmark", "synproxy"]);
const CT_OBJECTS = new Set(["helper", "timeout", "expectation"]);
const REL_OPS = new Set(["!=", "==", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge"]);
const BIN_OPS = new Set(["&", "|", "^", "<<", ">>", "and", "or", "xor", "lshift", "rshift"]);
const VERDICTS: Record<string, string> = { accept: "ACCEPT", drop: "DROP", return: "RETURN", reject: "REJECT", queue: "QUEUE" };
const NAT_FLAGS = new Set(["random", "fully-random", "persistent", "netmap"]);
/** Words that start a statement: the fallback for unknown expressions stops at them. */
const STMT_START = new Set([
  "iifname", "oifname", "iif", "oif", "ip", "ip6", "tcp", "udp", "sctp", "dccp", "udplite", "th", "meta", "mark", "fib", "ct",
  "counter", "comment", "accept", "drop", "return", "continue", "reject", "queue", "jump", "goto", "dnat", "snat", "masquerade",
  "redirect", "log", "limit", "xt", "XT", "notrack", "icmp", "icmpv6", "ether", "vlan", "arp", "flow", "quota", "meter",
  "tproxy", "fwd", "dup", "synproxy", "numgen", "jhash", "symhash", "rt", "socket", "osf", "ipsec", "exthdr", "frag", "ah", "esp", "comp",
  "hbh", "rt0", "mh", "dst", "igmp", "sctp", "ipcomp", "meta", "pkttype", "l4proto", "nfproto", "skuid", "skgid", "cgroup", "set", "add", "update", "delete",
]);
/** Header expressions `PROTO FIELD [op] VALUE` natlens keeps verbatim. */
const PAYLOAD = new Set(["ether", "vlan", "arp", "icmp", "icmpv6", "igmp", "ah", "esp", "comp", "ipcomp", "dst", "hbh", "mh", "frag", "rt", "rt0", "srh", "gre", "vxlan", "geneve", "pkttype", "cgroup", "socket", "osf", "ipsec", "dccp"]);
const HANDLE_MARK = " # handle ";
const DIAG_CAP = 50;
/** targetArgs marker of a rule whose action nft printed as nothing (an iptables-nft xt target). */
export const LOST_XT = "xt target ? (not printed by nft)";

interface Table {
  family: string;
  name: string;
  fam: 4 | 6;
}

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

function unquote(s: string): string {
  if (s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34) {
    const inner = s.slice(1, -1);
    return inner.includes("\\") ? inner.replace(/\\(["\\])/g, "$1") : inner;
  }
  return s;
}


/** Split a rule into tokens; quoted strings and `{ ... }` groups are single tokens. */
export function tokenize(text: string): string[] {
  if (!text.includes('"') && !text.includes("{") && !text.includes("\t")) {
    const out = text.split(" ");
    return out.includes("") ? out.filter((x) => x !== "") : out;
  }
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    if (c === 34) {
      i++;
      while (i < n && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
      i = Math.min(i + 1, n);
      // a quoted string glued to more text (`"br-"*`) stays one token
      while (i < n && (c = text.charCodeAt(i)) !== 32 && c !== 9) i++;
    } else if (c === 123) {
      let depth = 0;
      let quoted = false;
      for (; i < n; i++) {
        c = text.charCodeAt(i);
        if (c === 34) quoted = !quoted;
        else if (!quoted && c === 123) depth++;
        else if (!quoted && c === 125 && --depth === 0) {
          i++;
          break;
        }
      }
    } else {
      while (i < n && (c = text.charCodeAt(i)) !== 32 && c !== 9) i++;
    }
    out.push(text.slice(start, i));
  }
  return out;
}

/** Elements of a `{ a, b }` set token, split on top-level commas (empty elements dropped). */
function setElements(tok: string): string[] {
  return splitTop(tok.slice(1, tok.endsWith("}") ? -1 : undefined), 44).filter((e) => e.length > 0);
}

function parsePortRange(text: string, proto: "tcp" | "udp"): PortRange | null {
  const dash = text.indexOf("-");
  if (dash > 0) {
    const a = servicePort(text.slice(0, dash), proto);
    const b = servicePort(text.slice(dash + 1), proto);
    return a !== null && b !== null ? { from: a, to: b } : null;
  }
  const p = servicePort(text, proto);
  return p === null ? null : { from: p, to: p };
}

/** `0x00000001` -> `0x1`; decimal stays decimal. */
function hexMin(v: string): string {
  if (/^0x[0-9a-fA-F]+$/.test(v)) {
    const t = v.slice(2).replace(/^0+/, "").toLowerCase();
    return `0x${t || "0"}`;
  }
  return v;
}

/** A NAT spec, parsed once per run (the run's `nft:nat` table); a fresh copy: records must not share objects. */
function natOf(v: string, caches: ParseCaches): NatTarget | null {
  const n = cachedIn(caches.table<NatTarget | null>("nft:nat"), v, 4096, (k) => parseNatSpec(k, caches));
  return n ? { ...n } : null;
}


class RuleWalker {
  k = 0;
  readonly m = emptyMatches();
  target: string | null = null;
  goto = false;
  nat: NatTarget | null = null;
  readonly targetArgs: string[] = [];
  packets: number | null = null;
  bytes: number | null = null;
  /** 4/6 when the rule itself says which family it matches. */
  famHint: 4 | 6 | null = null;
  /** Verbatim parts that natlens does not model (for the info diagnostic). */
  readonly unmodelled: string[] = [];
  readonly sets: string[] = [];
  vmap: string | null = null;
  xtLost: string | null = null;
  action: string | null = null;

  constructor(
    private readonly t: string[],
    private readonly maps: Map<string, string[]>,
    private readonly tableKey: string,
    private readonly caches: ParseCaches,
  ) {}

  private peek(o = 0): string | undefined {
    return this.t[this.k + o];
  }

  /** Optional relational operator; returns true when it negates. */
  private op(): boolean {
    const o = this.t[this.k];
    if (o !== undefined && REL_OPS.has(o)) {
      this.k++;
      return o === "!=" || o === "ne";
    }
    return false;
  }

  private other(from: number, note = true): string {
    if (this.t[this.k - 1]?.startsWith("@")) note = false;
    const text = this.t.slice(from, this.k).join(" ");
    this.m.other.push(text);
    if (note) this.unmodelled.push(text);
    return text;
  }

  /** An unmodelled payload/meta expression: HEAD... [op] VALUE [binop VALUE [op VALUE]]. */
  /** `ip protocol X`, `ip6 nexthdr X`, `meta l4proto X` (two head words): the protocol match, or kept verbatim for sets. */
  private protoMatch(from: number): void {
    const t = this.t;
    this.k += 2;
    const negated = this.op();
    const v = t[this.k];
    if (v !== undefined && !v.startsWith("{") && !v.startsWith("@") && !this.m.proto) {
      this.k++;
      this.m.proto = { value: v, negated };
      return;
    }
    this.generic(from, 2);
  }

  private generic(from: number, heads: number): void {
    this.k = from + heads;
    this.op();
    if (this.k < this.t.length) this.k++;
    while (this.k < this.t.length && BIN_OPS.has(this.t[this.k]!)) {
      this.k += 2;
      this.op();
      if (this.k < this.t.length && !STMT_START.has(this.t[this.k]!)) this.k++;
    }
    this.k = Math.min(this.k, this.t.length);
    this.other(from);
  }

  /** Unknown words: collect up to the next statement keyword. */
  private fallback(from: number): void {
    this.k = from + 1;
    while (this.k < this.t.length && !STMT_START.has(this.t[this.k]!)) this.k++;
    this.other(from);
  }

  private setProto(p: string): void {
    if (!this.m.proto) this.m.proto = { value: p, negated: false };
  }

  walk(): void {
    const t = this.t;
    while (this.k < t.length) {
      const from = this.k;
      const w = t[this.k]!;
      if (w !== "fib" && (t[this.k + 1] === "." || t[this.k + 2] === ".")) {
        if (this.concat(from)) continue;
      }
      if (t[this.k + 2] === "vmap" && VMAP_KEY_HEADS.has(w)) {
        // `tcp dport vmap { 80 : drop }`, `ct state vmap { ... }`, `meta l4proto vmap { ... }`: the key is kept with the map
        if (L4_PROTOS.has(w)) this.setProto(w);
        this.k += 3;
        this.vmapStmt(from);
        continue;
      }
      switch (w) {
        case "iifname":
        case "oifname":
        case "iif":
        case "oif":
          this.iface(from, w.startsWith("i") ? "inIface" : "outIface");
          break;
        case "ip":
        case "ip6":
          this.ipExpr(from, w);
          break;
        case "tcp":
        case "udp":
        case "sctp":
        case "dccp":
        case "udplite":
        case "th":
          this.l4(from, w);
          break;
        case "meta":
          this.meta(from);
          break;
        case "mark":
          this.markExpr(from, 1, "meta");
          break;
        case "fib":
          this.fib(from);
          break;
        case "ct":
          this.ct(from);
          break;
        case "counter":
          this.counter(from);
          break;
        case "comment":
          this.k++;
          this.m.comment = t[this.k] !== undefined ? unquote(t[this.k++]!) : "";
          break;
        case "accept":
        case "drop":
        case "return":
          this.k++;
          this.verdict(VERDICTS[w]!);
          break;
        case "reject": {
          this.k++;
          this.verdict(VERDICTS[w]!);
          if (t[this.k] === "with" && t[this.k + 1] !== undefined) {
            // with tcp reset | with icmp[x|v6] [type] CODE
            const s = this.k;
            this.k += 2;
            if (t[s + 1] !== "tcp" && t[this.k] === "type") this.k++;
            if (t[s + 1] === "tcp" || t[s + 1]!.startsWith("icmp")) this.k++;
            this.k = Math.min(this.k, t.length);
            this.targetArgs.push(t.slice(s, this.k).join(" "));
          }
          break;
        }
        case "queue": {
          this.k++;
          this.verdict(VERDICTS[w]!);
          const s = this.k;
          while (this.k < t.length && !STMT_START.has(t[this.k]!)) this.k++;
          if (this.k > s) this.targetArgs.push(t.slice(s, this.k).join(" "));
          break;
        }
        case "continue":
          this.k++;
          this.targetArgs.push("continue");
          break;
        case "jump":
        case "goto":
          this.k++;
          if (t[this.k] !== undefined) this.verdict(unquote(t[this.k++]!), w === "goto");
          else this.other(from);
          break;
        case "dnat":
        case "snat":
          this.natStmt(from, w === "dnat" ? "DNAT" : "SNAT");
          break;
        case "masquerade":
        case "redirect":
          this.masq(from, w === "masquerade" ? "MASQUERADE" : "REDIRECT");
          break;
        case "log": {
          this.k++;
          while (this.k < t.length && /^(prefix|level|group|snaplen|queue-threshold|flags)$/.test(t[this.k]!)) {
            this.k += 2;
          }
          this.k = Math.min(this.k, t.length);
          const text = t.slice(from, this.k).join(" ");
          this.targetArgs.push(text);
          this.action ??= "LOG";
          break;
        }
        case "xt":
          this.xt(from);
          break;
        case "flow":
          // flowtable offload: `flow add @ft` / `flow offload @ft`
          this.k++;
          if (t[this.k] === "add" || t[this.k] === "offload") this.k++;
          if (t[this.k]?.startsWith("@")) this.k++;
          this.targetArgs.push(t.slice(from, this.k).join(" "));
          this.unmodelled.push(t.slice(from, this.k).join(" "));
          break;
        case "XT":
          // `XT target DNAT not found`: nft could not translate an iptables-nft target
          if (t[this.k + 1] === "target" || t[this.k + 1] === "match") {
            const kind = t[this.k + 1]!;
            const name = t[this.k + 2] ?? "?";
            this.k += 3;
            if (t[this.k] === "not" && t[this.k + 1] === "found") this.k += 2;
            this.lostXt(from, kind, name);
          } else this.fallback(from);
          break;
        default:
          if (PAYLOAD.has(w) && t[this.k + 1] !== undefined) this.generic(from, 2);
          else this.fallback(from);
      }
      if (this.k === from) this.k++; // safety: always advance
    }
  }

  /** Width of a selector expression at `at`: `iifname` (1), `ip saddr` (2), `ct original ip saddr` (4). */
  private selectorWidth(at: number): number {
    const w = this.t[at];
    if (w === undefined) return 0;
    if (w === "iifname" || w === "oifname" || w === "iif" || w === "oif" || w === "mark") return 1;
    if (w === "ct" && (this.t[at + 1] === "original" || this.t[at + 1] === "reply")) return this.t[at + 2] === "ip" || this.t[at + 2] === "ip6" ? 4 : 3;
    return 2;
  }

  /** A concatenation `ip saddr . tcp dport @set` / `{ 1.2.3.4 . 80 }`: kept verbatim. Returns false when not one. */
  private concat(from: number): boolean {
    const t = this.t;
    let k = from + this.selectorWidth(from);
    if (t[k] !== ".") return false;
    while (t[k] === ".") k += 1 + this.selectorWidth(k + 1);
    this.k = Math.min(k, t.length);
    this.op();
    const v = t[this.k];
    if (v !== undefined) {
      this.k++;
      if (v === "vmap") {
        this.vmapStmt(from);
        return true;
      }
      if (v.startsWith("@")) this.sets.push(v);
    }
    this.other(from);
    return true;
  }

  private verdict(target: string, isGoto = false): void {
    if (this.target === null) {
      this.target = target;
      this.goto = isGoto;
    } else this.targetArgs.push(isGoto ? `goto ${target}` : target);
  }

  private iface(from: number, key: "inIface" | "outIface"): void {
    const t = this.t;
    this.k++;
    if (t[this.k] === "vmap") {
      this.k++;
      this.vmapStmt(from);
      return;
    }
    const negated = this.op();
    const v = t[this.k];
    if (v === undefined) {
      this.other(from);
      return;
    }
    this.k++;
    if (v.startsWith("{") || v.startsWith("@") || this.m[key] !== null) {
      if (v.startsWith("@")) this.sets.push(v);
      this.other(from);
      return;
    }
    this.m[key] = { value: unquote(v), negated };
  }

  private vmapStmt(from: number): void {
    const v = this.t[this.k];
    if (v !== undefined) this.k++;
    const text = this.other(from, false);
    this.vmap = text;
    if (v?.startsWith("@")) {
      const els = this.maps.get(`${this.tableKey}\u0000${v.slice(1)}`);
      if (els) this.targetArgs.push(...els);
    } else if (v?.startsWith("{")) {
      this.targetArgs.push(...setElements(v));
    }
  }

  private ipExpr(from: number, w: string): void {
    const t = this.t;
    const field = t[this.k + 1];
    const fam: 4 | 6 = w === "ip6" ? 6 : 4;
    this.famHint ??= fam;
    if (field === "saddr" || field === "daddr") {
      this.k += 2;
      const negated = this.op();
      const v = t[this.k];
      if (v === undefined) {
        this.other(from);
        return;
      }
      this.k++;
      const key = field === "saddr" ? "src" : "dst";
      let single: string | null = null;
      if (v.startsWith("{")) {
        const els = setElements(v);
        if (els.length === 1) single = els[0]!;
      } else if (!v.startsWith("@")) single = v;
      const cidr = single !== null ? normalizeCidrCached(single, this.caches) : null;
      if (cidr !== null && this.m[key] === null) {
        this.m[key] = { value: cidr, negated };
        return;
      }
      if (v.startsWith("@")) this.sets.push(v);
      this.other(from);
      return;
    }
    if ((w === "ip" && field === "protocol") || (w === "ip6" && field === "nexthdr")) return this.protoMatch(from);
    this.generic(from, 2);
  }

  private l4(from: number, w: string): void {
    const t = this.t;
    const field = t[this.k + 1];
    if (w !== "th") this.setProto(w);
    if (field === "dport" || field === "sport") {
      this.k += 2;
      const negated = this.op();
      const v = t[this.k];
      const key = field;
      if (v !== undefined && !v.startsWith("@") && this.m[key] === null) {
        const proto = w === "udp" ? "udp" : "tcp";
        const parts = v.startsWith("{") ? setElements(v) : [v];
        const ranges: PortRange[] = [];
        let ok = parts.length > 0;
        for (const p of parts) {
          const r = parsePortRange(p, proto);
          if (!r) {
            ok = false;
            break;
          }
          ranges.push(r);
        }
        if (ok) {
          this.k++;
          this.m[key] = { value: ranges, negated };
          return;
        }
      }
      if (v?.startsWith("@")) this.sets.push(v);
      this.generic(from, 2);
      return;
    }
    this.generic(from, 2);
  }

  private meta(from: number): void {
    const t = this.t;
    const key = t[this.k + 1];
    switch (key) {
      case "l4proto":
        return this.protoMatch(from);
      case "nfproto": {
        const v = t[this.k + 2];
        if (v === "ipv4") this.famHint ??= 4;
        else if (v === "ipv6") this.famHint ??= 6;
        this.k += 2;
        this.op();
        if (this.k < t.length) this.k++;
        this.other(from, false);
        return;
      }
      case "mark":
        this.markExpr(from, 2, "meta");
        return;
      case "iifname":
      case "oifname":
      case "iif":
      case "oif":
        this.k++;
        this.iface(from, key.startsWith("i") ? "inIface" : "outIface");
        return;
      default:
        this.generic(from, 2);
    }
  }

  /** `[meta] mark [& MASK ==|!=] VALUE` or `[meta|ct] mark set EXPR`. */
  private markExpr(from: number, heads: number, kind: "meta" | "ct"): void {
    const t = this.t;
    this.k = from + heads;
    if (t[this.k] === "set") {
      this.k++;
      if (t[this.k] === "ct" || t[this.k] === "meta") this.k++;
      if (this.k < t.length) this.k++;
      while (this.k < t.length && BIN_OPS.has(t[this.k]!)) this.k += 2;
      this.k = Math.min(this.k, t.length);
      this.targetArgs.push(t.slice(from, this.k).join(" "));
      this.action ??= kind === "meta" ? "MARK" : "CONNMARK";
      return;
    }
    if (kind === "ct") {
      this.generic(from, heads);
      return;
    }
    let mask: string | null = null;
    if (t[this.k] === "&" && t[this.k + 1] !== undefined) {
      mask = t[this.k + 1]!;
      this.k += 2;
    }
    const negated = this.op();
    const v = t[this.k];
    if (v !== undefined && /^(0x[0-9a-fA-F]+|\d+)$/.test(v) && (mask === null || /^(0x[0-9a-fA-F]+|\d+)$/.test(mask)) && this.m.mark === null) {
      this.k++;
      this.m.mark = { value: mask === null ? hexMin(v) : `${hexMin(v)}/${hexMin(mask)}`, negated };
      return;
    }
    this.generic(from, heads);
  }

  private fib(from: number): void {
    const t = this.t;
    const dir = t[this.k + 1];
    if (dir === "daddr" && t[this.k + 2] === "." && t[this.k + 3] === "iif" && t[this.k + 4] === "type") {
      // `fib daddr . iif type local` (iptables-nft's `--dst-type LOCAL --limit-iface-in`): kept whole
      this.k += 5;
      this.op();
      if (this.k < t.length) this.k++;
      this.other(from, false);
      return;
    }
    if ((dir === "daddr" || dir === "saddr") && t[this.k + 2] === "type") {
      this.k += 3;
      const negated = this.op();
      const v = t[this.k];
      const key = dir === "daddr" ? "dstType" : "srcType";
      if (v !== undefined && /^[a-z-]+$/.test(v) && this.m[key] === null) {
        this.k++;
        this.m[key] = { value: v.toUpperCase(), negated };
        return;
      }
    }
    this.fallback(from);
  }

  private ct(from: number): void {
    const t = this.t;
    const key = t[this.k + 1];
    if (key === "state") {
      this.k += 2;
      const negated = this.op();
      const v = t[this.k];
      if (v !== undefined && !v.startsWith("@") && this.m.ctstate === null) {
        this.k++;
        let states = v.startsWith("{") ? setElements(v) : v.split(",");
        while (t[this.k] === "|" && t[this.k + 1] !== undefined) {
          states = states.concat(t[this.k + 1]!.split(","));
          this.k += 2;
        }
        this.m.ctstate = { value: states.filter((s) => s).map((s) => s.toUpperCase()), negated };
        return;
      }
      this.generic(from, 2);
      return;
    }
    if (key === "mark") {
      this.markExpr(from, 2, "ct");
      return;
    }
    if (key === "original" || key === "reply") {
      const proto = t[this.k + 2];
      this.generic(from, proto === "ip" || proto === "ip6" ? 4 : 3);
      return;
    }
    this.generic(from, 2);
  }

  private counter(from: number): void {
    const t = this.t;
    this.k++;
    if (t[this.k] === "packets" && t[this.k + 2] === "bytes") {
      const p = t[this.k + 1]!;
      const b = t[this.k + 3];
      if (/^\d+$/.test(p) && b !== undefined && /^\d+$/.test(b)) {
        this.packets = Number(p);
        this.bytes = Number(b);
        this.k += 4;
        return;
      }
    }
    if (t[this.k] === "name" && t[this.k + 1] !== undefined) {
      this.k += 2;
      this.other(from);
    }
  }

  private natFlags(): void {
    const t = this.t;
    while (this.k < t.length) {
      const f = t[this.k]!;
      const parts = f.split(",");
      if (!parts.every((p) => NAT_FLAGS.has(p))) break;
      this.targetArgs.push(f);
      this.k++;
    }
  }

  private natStmt(from: number, target: string): void {
    const t = this.t;
    this.k++;
    const fam = t[this.k];
    if (fam === "ip" || fam === "ip6") {
      // `dnat ip to ...` in inet tables; `dnat ip addr . port to ...` is a map form
      if (t[this.k + 1] === "to") {
        this.famHint ??= fam === "ip6" ? 6 : 4;
        this.k++;
      }
    }
    if (t[this.k] === "to" && t[this.k + 1] !== undefined) {
      const nat = natOf(t[this.k + 1]!, this.caches);
      if (nat) {
        this.k += 2;
        if (target === "DNAT" || target === "SNAT") {
          if (nat.addr?.includes(":")) this.famHint ??= 6;
        }
        this.verdict(target);
        this.nat = nat;
        this.natFlags();
        return;
      }
    }
    // map forms (`dnat ip to tcp dport map @m`) and other shapes: keep verbatim
    while (this.k < t.length && !NAT_FLAGS.has(t[this.k]!.split(",")[0]!) && t[this.k] !== "comment") this.k++;
    this.verdict(target);
    const text = t.slice(from, this.k).join(" ");
    this.targetArgs.push(text);
    this.unmodelled.push(text);
    this.natFlags();
  }

  private masq(from: number, target: string): void {
    const t = this.t;
    this.k++;
    const nat: NatTarget = { addr: null, addrTo: null, port: null, portTo: null };
    if (t[this.k] === "to" && t[this.k + 1] !== undefined) {
      const v = t[this.k + 1]!;
      const parsed = parseNatSpec(v.startsWith(":") ? v : `:${v}`, this.caches);
      if (parsed && parsed.addr === null) {
        nat.port = parsed.port;
        nat.portTo = parsed.portTo;
        this.k += 2;
      } else {
        this.k += 2;
        const text = t.slice(from, this.k).join(" ");
        this.targetArgs.push(text);
        this.unmodelled.push(text);
      }
    }
    this.verdict(target);
    this.nat = nat;
    this.natFlags();
  }

  private xt(from: number): void {
    const t = this.t;
    const kind = t[this.k + 1];
    if ((kind === "target" || kind === "match") && t[this.k + 2] !== undefined) {
      const name = unquote(t[this.k + 2]!);
      this.k += 3;
      this.lostXt(from, kind, name);
      return;
    }
    this.fallback(from);
  }

  private lostXt(from: number, kind: string, name: string): void {
    const text = this.t.slice(from, this.k).join(" ");
    if (kind === "target") {
      this.verdict(name);
      this.nat = null;
      this.targetArgs.push(text);
    } else {
      this.m.other.push(text);
    }
    this.xtLost = `${kind} ${name}`;
  }
}

class NftParser implements LineParser {
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
    if (this.table || this.block) {
      this.ctx.report("warning", null, "W_NFT_TRUNCATED", `input ends inside ${this.block ? `${this.block.kind} ${this.block.name}` : this.chain ? `chain ${this.chain.name}` : `table ${this.table!.name}`}: the dump looks cut`, undefined, "capture the whole `nft list ruleset` output");
    }
    for (const [code, n] of this.counts) {
      if (n > DIAG_CAP) this.ctx.report("info", null, code, `${n - DIAG_CAP} more ${code} diagnostics not shown`);
    }
  }
}

/** Split on a separator character outside quotes and braces; parts are trimmed. */
function splitTop(text: string, sep: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 123) depth++;
    else if (c === 125) depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/** Split ` # handle N` off a line. */
function stripHandle(text: string): { body: string; handle: number | null } {
  const at = text.lastIndexOf(HANDLE_MARK);
  if (at >= 0) {
    const h = text.slice(at + HANDLE_MARK.length);
    if (h.length > 0 && h.length < 12 && /^\d+$/.test(h)) return { body: text.slice(0, at), handle: Number(h) };
  }
  return { body: text, handle: null };
}

const TABLE_RE = /^table (ip|ip6|inet|arp|bridge|netdev) \S+ \{( # handle \d+)?\s*$/;
const WARN_RE = /^# Warning: table \S+ \S+ is managed by iptables-nft, do not touch!$/;
const CHAIN_RE = /^\s+chain \S+ \{( # handle \d+)?\s*$/;
const HOOK_RE = /^\s+type (filter|nat|route) hook \S+ /;

export const nft: FormatParser = {
  id: "nft",
  title: "nftables rule set (nft list ruleset, nft -a list ruleset)",
  kinds: ["rule", "chain"],
  commands: ["nft list ruleset", "nft -a list ruleset", "nft list table ip nat"],
  sniff(head) {
    let score = 0;
    for (const l of head) {
      if (TABLE_RE.test(l) || WARN_RE.test(l)) return 0.95;
      if (l.startsWith('{"nftables": [{"metainfo": ')) return 0.9;
      if (CHAIN_RE.test(l)) score = Math.max(score, 0.45);
      else if (HOOK_RE.test(l)) score = Math.max(score, 0.45);
    }
    return score;
  },
  create: (ctx) => new NftParser(ctx),
};
