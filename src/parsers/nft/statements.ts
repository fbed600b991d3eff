/**
 * nft rule statements: one rule's tokens walked statement by statement into
 * RuleMatches, a target (verdict, jump/goto, NAT, LOG, MARK, ...), NatTarget
 * and counters; what natlens does not model stays verbatim in `matches.other`
 * / `targetArgs` (see index.ts for the representation choices).
 *
 * Over 500 lines on purpose: RuleWalker is one class whose state (the token
 * position, the matches and target built so far) every statement kind reads
 * and writes, and the statement kinds call each other (a concatenation or an
 * interface match can turn out to be a verdict map). Split into files it
 * would pass that state around without making any piece independent.
 */
import type { NatTarget, PortRange } from "../../types.js";
import { cachedIn, type ParseCaches } from "../../context.js";
import { normalizeCidrCached } from "../../net/index.js";
import { servicePort } from "../_services.js";
import { emptyMatches, parseNatSpec } from "../_iptables-rule.js";
import { setElements, unquote } from "./lexer.js";

/** Heads of two-word keys a verdict map can be keyed on (`tcp dport vmap`, `ip saddr vmap`, `ct state vmap`, `meta l4proto vmap`). */
const VMAP_KEY_HEADS = new Set(["tcp", "udp", "sctp", "dccp", "udplite", "th", "ip", "ip6", "meta", "ct"]);
const L4_PROTOS = new Set(["tcp", "udp", "sctp", "dccp", "udplite"]);
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
/** targetArgs marker of a rule whose action nft printed as nothing (an iptables-nft xt target). */
export const LOST_XT = "xt target ? (not printed by nft)";

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

/** Walks one rule's tokens (`walk()`), leaving what it found in its fields. */
export class RuleWalker {
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

  /**
   * `[op] VALUE` after a match's head words: the value and whether the
   * operator negates, the cursor past both. At the end of the rule there is
   * no value: the words from `from` are kept verbatim and null returned.
   */
  private operand(from: number): { negated: boolean; v: string } | null {
    const negated = this.op();
    const v = this.t[this.k];
    if (v === undefined) {
      this.other(from);
      return null;
    }
    this.k++;
    return { negated, v };
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
    const read = this.operand(from);
    if (read === null) return;
    const { negated, v } = read;
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
      const read = this.operand(from);
      if (read === null) return;
      const { negated, v } = read;
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
