/**
 * Shared iptables rule grammar for the `iptables-save` and `iptables-list`
 * parsers: tokenising `iptables-save` rule text (quotes, backslash escapes),
 * port lists, NAT target specs, protocol numbers, and the reverse direction
 * (`ruleToSave`) that rebuilds `-A CHAIN ...` text from a RuleRecord.
 */
import type { ParseCaches } from "../context.js";
import type { ParseContext } from "../format.js";
import type { ChainRecord, NatTarget, Negatable, PortRange, RuleMatches, RuleRecord } from "../types.js";
import { normalizeCidrCached, normalizeIp } from "../net/index.js";
import { isDigits } from "./_text.js";

export function emptyMatches(): RuleMatches {
  return {
    inIface: null,
    outIface: null,
    src: null,
    dst: null,
    proto: null,
    sport: null,
    dport: null,
    srcType: null,
    dstType: null,
    ctstate: null,
    mark: null,
    comment: null,
    other: [],
  };
}

/** Protocol numbers iptables prints (1.8.9 `-L -n`) or users write, to names. */
const PROTO_NAMES: Record<string, string> = {
  "1": "icmp",
  "2": "igmp",
  "4": "ipencap",
  "6": "tcp",
  "17": "udp",
  "33": "dccp",
  "41": "ipv6",
  "47": "gre",
  "50": "esp",
  "51": "ah",
  "58": "ipv6-icmp",
  "132": "sctp",
  "136": "udplite",
  icmpv6: "ipv6-icmp",
};

/**
 * A protocol as written (`tcp`, `6`, `all`, `0`) to the record value: a lower
 * case name, a known number mapped to its name, unknown numbers kept as text;
 * null for `all`/`0` (no protocol match).
 */
export function protoName(text: string): string | null {
  const t = text.toLowerCase();
  if (t === "all" || t === "0") return null;
  return PROTO_NAMES[t] ?? t;
}

/**
 * A chain record of an iptables dump (iptables-save, -S, -L), before its table
 * and family are known (the parsers set them when the section settles).
 */
export function iptablesChain(format: string, file: string, no: number, name: string, builtin: boolean, policy: string | null, packets: number | null, bytes: number | null): ChainRecord {
  return { kind: "chain", source: { file, line: no }, format, family: 4, table: "", name, builtin, policy, packets, bytes, hook: null, priority: null, type: null };
}

/** What a rule line of an iptables dump says (the rest of its RuleRecord is the same for every dump). */
export type IptablesRuleParts = Pick<RuleRecord, "chain" | "position" | "packets" | "bytes" | "matches" | "target" | "goto" | "nat" | "targetArgs" | "text">;

/** A rule record of an iptables dump, before its table and family are known (as iptablesChain). */
export function iptablesRule(format: string, file: string, no: number, p: IptablesRuleParts): RuleRecord {
  return {
    kind: "rule",
    source: { file, line: no },
    format,
    family: 4,
    table: "",
    chain: p.chain,
    position: p.position,
    packets: p.packets,
    bytes: p.bytes,
    matches: p.matches,
    target: p.target,
    goto: p.goto,
    nat: p.nat,
    targetArgs: p.targetArgs,
    handle: null,
    text: p.text,
  };
}

// -------------------------------------------------------------- banners --

/** What a `$ iptables ...` / `$ ip6tables ...` command banner says about the dump after it. */
export interface IptablesBanner {
  /** `-t X` / `--table X`; `filter` for a dump command without -t (iptables -S, iptables -L); else null. */
  table: string | null;
  /** 6 for ip6tables, 4 for iptables, null when the command names neither. */
  family: 4 | 6 | null;
  /** `iptables-legacy ...` / `iptables-nft ...` name the backend; null for plain `iptables`. */
  backend: "legacy" | "nf_tables" | null;
  /** The one chain `-L CHAIN` lists (read for -L only); null for all chains. */
  chain: string | null;
}

/** Read a banner (`$ ...`) of an iptables `-S` (`dump` "S") or `-L` ("L") command. */
export function readBanner(text: string, dump: "S" | "L"): IptablesBanner {
  const m = /\s-t\s*(\S+)/.exec(text) ?? /\s--table[= ](\S+)/.exec(text);
  const plain = dump === "S" ? /\s-\w*S\b/.test(text) : /\s-\w*L/.test(text);
  const c = dump === "L" ? /\s(?:-[a-zA-Z]*L|--list)\s+([^-\s]\S*)/.exec(text) : null;
  return {
    table: m ? m[1]! : plain ? "filter" : null,
    family: /\bip6tables/.test(text) ? 6 : /\biptables/.test(text) ? 4 : null,
    backend: /\bip6?tables-legacy/.test(text) ? "legacy" : /\bip6?tables-nft/.test(text) ? "nf_tables" : null,
    chain: c ? c[1]! : null,
  };
}

/**
 * The command banners of an iptables dump, for both iptables parsers: the one
 * the driver removed from the top (ctx.banner, read before the first line) and
 * `$ ` lines between concatenated dumps. `on` gets each one, read.
 */
export class BannerLines {
  private first = true;

  constructor(
    private readonly ctx: ParseContext,
    private readonly dump: "S" | "L",
    private readonly on: (banner: IptablesBanner) => void,
  ) {}

  /** Call first for every line (`t` trimmed); true when it was a banner (then accounted as ignored). */
  line(t: string, no: number): boolean {
    if (this.first) {
      this.first = false;
      const top = this.ctx.banner;
      if (top) this.on(readBanner(`$ ${top}`, this.dump));
    }
    if (t.charCodeAt(0) !== 36 /* $ */ || !t.startsWith("$ ")) return false;
    this.on(readBanner(t, this.dump));
    this.ctx.ignore(no, "banner");
    return true;
  }
}

// ------------------------------------------------------------- tokeniser --

export interface Token {
  /** The value with quotes and escapes removed. */
  v: string;
  /** Offset of the token's first character in the line. */
  at: number;
  /** Offset just past the token. */
  end: number;
}

/**
 * Split a rule line the way iptables-restore does: blanks separate tokens,
 * double quotes group, a backslash escapes the next character inside quotes.
 * Returns a string when a quote is left open.
 */
export function tokenize(line: string, from = 0): Token[] | string {
  const out: Token[] = [];
  const n = line.length;
  let i = from;
  // fast path: no quotes (almost every rule) -> split on single blanks
  if (line.indexOf('"', from) < 0 && line.indexOf("\t", from) < 0) {
    while (i < n) {
      if (line.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      let e = line.indexOf(" ", i);
      if (e < 0) e = n;
      out.push({ v: line.slice(i, e), at: i, end: e });
      i = e;
    }
    return out;
  }
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const at = i;
    let v = "";
    let plainStart = i;
    let quoted = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (!quoted && (c === 32 || c === 9)) break;
      if (c === 34) {
        v += line.slice(plainStart, i);
        quoted = !quoted;
        i++;
        plainStart = i;
        continue;
      }
      if (quoted && c === 92 && i + 1 < n) {
        v += line.slice(plainStart, i) + line[i + 1];
        i += 2;
        plainStart = i;
        continue;
      }
      i++;
    }
    if (quoted) return `unterminated quote starting at column ${at + 1}`;
    v += line.slice(plainStart, i);
    out.push({ v, at, end: i });
  }
  return out;
}

const NO_QUOTE = /^[A-Za-z0-9_-]+$/;

/** Quote a value as iptables-save does (`xtables_save_string`). */
export function saveString(value: string): string {
  if (NO_QUOTE.test(value)) return value;
  return `"${value.replace(/["\\']/g, (m) => `\\${m}`)}"`;
}

// ---------------------------------------------------------------- ports --


function onePort(text: string, lookup?: (name: string) => number | null): number | null {
  if (isDigits(text)) {
    const n = Number(text);
    return n <= 65535 ? n : null;
  }
  return lookup ? lookup(text) : null;
}

/**
 * `80`, `9000:9010`, `8080,8443,1000:2000` (and `-` as a range separator, as in
 * some printouts) to ranges. `lookup` resolves service names (listings without -n).
 * Returns null when an element is not a port.
 */
export function parsePorts(text: string, lookup?: (name: string) => number | null): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of text.split(",")) {
    if (part === "") return null;
    let sep = part.indexOf(":");
    if (sep < 0 && lookup === undefined) sep = part.indexOf("-");
    if (sep < 0) {
      const p = onePort(part, lookup);
      if (p === null) return null;
      out.push({ from: p, to: p });
    } else {
      // `:5` means 0:5 and `5:` means 5:65535 in iptables
      const a = sep === 0 ? 0 : onePort(part.slice(0, sep), lookup);
      const b = sep === part.length - 1 ? 65535 : onePort(part.slice(sep + 1), lookup);
      if (a === null || b === null) return null;
      out.push({ from: a, to: b });
    }
  }
  return out;
}

export function portsText(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(",");
}

// ------------------------------------------------------------ NAT specs --

function portPart(text: string, nat: NatTarget): boolean {
  const dash = text.indexOf("-");
  const a = dash < 0 ? text : text.slice(0, dash);
  if (!isDigits(a) || Number(a) > 65535) return false;
  nat.port = Number(a);
  if (dash >= 0) {
    const b = text.slice(dash + 1);
    if (!isDigits(b) || Number(b) > 65535) return false;
    nat.portTo = Number(b);
  }
  return true;
}

function addrPart(text: string, nat: NatTarget, caches: ParseCaches): boolean {
  // `a-b` range; IPv6 in brackets may be `[a]-[b]`
  let a = text;
  let b: string | null = null;
  const br = text.indexOf("]-");
  if (text.startsWith("[") && br > 0) {
    a = text.slice(0, br + 1);
    b = text.slice(br + 2);
  } else if (!text.startsWith("[")) {
    const dash = text.indexOf("-");
    if (dash > 0) {
      a = text.slice(0, dash);
      b = text.slice(dash + 1);
    }
  }
  const na = normalizeIp(a, caches);
  if (!na) return false;
  nat.addr = na.ip;
  if (b !== null) {
    const nb = normalizeIp(b, caches);
    if (!nb) return false;
    nat.addrTo = nb.ip;
  }
  return true;
}

/**
 * A DNAT/SNAT spec: `172.17.0.2:80`, `172.17.0.2:80-81`, `10.0.0.1-10.0.0.3:80`,
 * `[fd00::2]:443`, `fd00::2`, `172.17.0.2`, `:8080` (port only). Null when malformed.
 */
export function parseNatSpec(text: string, caches: ParseCaches): NatTarget | null {
  const nat: NatTarget = { addr: null, addrTo: null, port: null, portTo: null };
  if (text === "") return null;
  if (text.startsWith("[")) {
    const close = text.lastIndexOf("]");
    if (close < 0) return null;
    const rest = text.slice(close + 1);
    if (!addrPart(text.slice(0, close + 1), nat, caches)) return null;
    if (rest === "") return nat;
    if (!rest.startsWith(":") || !portPart(rest.slice(1), nat)) return null;
    return nat;
  }
  const first = text.indexOf(":");
  if (first >= 0 && text.indexOf(":", first + 1) >= 0) {
    // bare IPv6 address (or range), no port
    return addrPart(text, nat, caches) ? nat : null;
  }
  if (first === 0) return portPart(text.slice(1), nat) ? nat : null;
  if (first > 0) {
    if (!addrPart(text.slice(0, first), nat, caches) || !portPart(text.slice(first + 1), nat)) return null;
    return nat;
  }
  return addrPart(text, nat, caches) ? nat : null;
}

/** A port or port range spec (`--to-ports 40000-40100`, `masq ports: 22`). */
export function parsePortSpec(text: string): NatTarget | null {
  const nat: NatTarget = { addr: null, addrTo: null, port: null, portTo: null };
  return portPart(text, nat) ? nat : null;
}

export function natSpecText(n: NatTarget): string {
  const v6 = (n.addr ?? "").includes(":");
  let addr = "";
  if (n.addr) addr = v6 ? (n.addrTo ? `[${n.addr}]-[${n.addrTo}]` : n.port !== null ? `[${n.addr}]` : n.addr) : n.addrTo ? `${n.addr}-${n.addrTo}` : n.addr;
  if (n.port === null) return addr;
  return `${addr}:${n.port}${n.portTo !== null ? `-${n.portTo}` : ""}`;
}

function portSpecText(n: NatTarget): string {
  return `${n.port}${n.portTo !== null ? `-${n.portTo}` : ""}`;
}

/**
 * An address match as written (`172.17.0.0/16`, `10.0.0.1`, `192.168.1.0/255.255.255.0`)
 * to CIDR text; a name that is not an address is kept as written (`ok` false).
 */
export function cidrOf(text: string, caches: ParseCaches): { value: string; ok: boolean } {
  const c = normalizeCidrCached(text, caches);
  return c ? { value: c, ok: true } : { value: text, ok: false };
}

// --------------------------------------------------------- save rebuild --

/** The NAT targets whose arguments `nat` carries. */
export const NAT_TARGETS = new Set(["DNAT", "SNAT", "MASQUERADE", "REDIRECT"]);

function neg<T>(n: Negatable<T>): string {
  return n.negated ? "! " : "";
}

/** Split `-m name rest` (an `other` entry) into module and the options text. */
function moduleOf(entry: string): { mod: string; rest: string } | null {
  if (!entry.startsWith("-m ")) return null;
  const sp = entry.indexOf(" ", 3);
  return sp < 0 ? { mod: entry.slice(3), rest: "" } : { mod: entry.slice(3, sp), rest: entry.slice(sp + 1) };
}

/**
 * Rebuild `-A CHAIN ...` in iptables-save order from the structured record:
 * `-s -d -i -o -p`, then the port module (`-m tcp --sport --dport`), multiport,
 * the unmodelled matches in input order, addrtype, conntrack/state, comment,
 * mark, then `-j`/`-g` with the target options. Options of a modelled module
 * that natlens keeps in `other` (`-m tcp --tcp-flags ...`) are merged back into
 * that module. The record does not keep the order of match modules, so a rule
 * whose modules were given in another order (a comment first, as Kubernetes
 * writes them) comes back in this canonical order.
 */
export function ruleToSave(rule: RuleRecord): string {
  const m = rule.matches;
  const parts: string[] = [`-A ${rule.chain}`];
  if (m.src) parts.push(`${neg(m.src)}-s ${m.src.value}`);
  if (m.dst) parts.push(`${neg(m.dst)}-d ${m.dst.value}`);
  if (m.inIface) parts.push(`${neg(m.inIface)}-i ${m.inIface.value}`);
  if (m.outIface) parts.push(`${neg(m.outIface)}-o ${m.outIface.value}`);
  if (m.proto) parts.push(`${neg(m.proto)}-p ${m.proto.value}`);
  const others = [...m.other];
  const takeMod = (mod: string): string => {
    let extra = "";
    for (let i = 0; i < others.length; i++) {
      const o = moduleOf(others[i]!);
      if (o && o.mod === mod) {
        if (o.rest) extra += ` ${o.rest}`;
        others.splice(i, 1);
        i--;
      }
    }
    return extra;
  };
  const single = (p: Negatable<PortRange[]> | null) => !!p && p.value.length === 1;
  const portMod = m.proto && !m.proto.negated ? m.proto.value : "tcp";
  // --sport/--dport of the protocol module, or multiport lists
  let modPorts = "";
  if (single(m.sport)) modPorts += ` ${neg(m.sport!)}--sport ${portsText(m.sport!.value)}`;
  if (single(m.dport)) modPorts += ` ${neg(m.dport!)}--dport ${portsText(m.dport!.value)}`;
  if (modPorts) parts.push(`-m ${portMod}${modPorts}${takeMod(portMod)}`);
  if (m.sport && !single(m.sport)) parts.push(`-m multiport ${neg(m.sport)}--sports ${portsText(m.sport.value)}${takeMod("multiport")}`);
  if (m.dport && !single(m.dport)) parts.push(`-m multiport ${neg(m.dport)}--dports ${portsText(m.dport.value)}${takeMod("multiport")}`);
  const tail: string[] = [];
  if (m.srcType || m.dstType) {
    let s = "-m addrtype";
    if (m.srcType) s += ` ${neg(m.srcType)}--src-type ${m.srcType.value}`;
    if (m.dstType) s += ` ${neg(m.dstType)}--dst-type ${m.dstType.value}`;
    tail.push(s + takeMod("addrtype"));
  }
  // `-m state --state` (an alias of conntrack's state match) is also stored in
  // ctstate, and comes back as `-m conntrack --ctstate`.
  if (m.ctstate) tail.push(`-m conntrack ${neg(m.ctstate)}--ctstate ${m.ctstate.value.join(",")}${takeMod("conntrack")}`);
  if (m.comment !== null) tail.push(`-m comment --comment ${saveString(m.comment)}`);
  if (m.mark) tail.push(`-m mark ${neg(m.mark)}--mark ${m.mark.value}${takeMod("mark")}`);
  parts.push(...others, ...tail);
  if (rule.target !== null) {
    let t = `${rule.goto ? "-g" : "-j"} ${rule.target}`;
    if (rule.nat) {
      if (rule.target === "DNAT") t += ` --to-destination ${natSpecText(rule.nat)}`;
      else if (rule.target === "SNAT") t += ` --to-source ${natSpecText(rule.nat)}`;
      else if (rule.nat.port !== null) t += ` --to-ports ${portSpecText(rule.nat)}`;
    }
    for (const a of rule.targetArgs) t += ` ${a}`;
    parts.push(t);
  }
  return parts.join(" ");
}
