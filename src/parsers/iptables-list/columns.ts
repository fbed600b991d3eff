/**
 * The line grammar of an `iptables -L` listing: `Chain` lines, counters
 * (`597K`), the columns of a rule row (from the header, or told from a row
 * alone when the listing was cut above its header or the poster removed
 * columns), and the address and interface column values.
 */

export const CHAIN_RE = /^Chain (\S+) \((?:policy (\S+)(?: (\d+[KMGT]?) packets, (\d+[KMGT]?) bytes)?|(\d+) references)\)\s*$/;

/** Host names iptables prints without -n for well-known addresses (/etc/hosts, /etc/networks). */
export const KNOWN_NAMES: Record<string, string> = {
  localhost: "127.0.0.1",
  "localhost.localdomain": "127.0.0.1",
  loopback: "127.0.0.0",
  "link-local": "169.254.0.0",
  "ip6-localhost": "::1",
  "ip6-loopback": "::1",
};

export interface Columns {
  num: boolean;
  counters: boolean;
  ifaces: boolean;
  /** False when the poster removed the opt column. */
  opt: boolean;
}

/** An address column: `anywhere`, an address or CIDR, possibly negated. */
export function addrLike(s: string | undefined): boolean {
  if (s === undefined) return false;
  const v = s.charCodeAt(0) === 33 ? s.slice(1) : s;
  if (v === "anywhere" || KNOWN_NAMES[v.split("/")[0]!] !== undefined) return true;
  return /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(v) || (v.includes(":") && /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(v));
}

/** An interface column: `*`, `any`, or a name (`docker0`, `br-1a2b`, `veth+`), possibly negated. */
export function ifaceLike(s: string | undefined): boolean {
  if (s === undefined) return false;
  const v = s.charCodeAt(0) === 33 ? s.slice(1) : s;
  return v === "*" || v === "any" || /^[\w.+@-]{1,15}$/.test(v);
}

export const PROTO_WORD = /^!?(all|tcp|udp|icmp|icmpv6|ipv6-icmp|sctp|udplite|dccp|gre|esp|ah|\d{1,3})$/;

/**
 * The columns a rule row has, told from the row alone: for rows of a listing
 * cut above its header, or whose columns the poster removed. Null when the row
 * allows more than one reading.
 */
export function rowColumns(t: string): Columns | null {
  const f = fields(t, 12).f;
  let n = 0;
  while (n < f.length && n < 3 && parseCount(f[n]!) !== null) n++;
  let k: number;
  let opt = true;
  if (isOptColumn(f[n + 1] ?? "") && !isOptColumn(f[n + 2] ?? "")) k = n + 2; // no target: prot opt
  else if (isOptColumn(f[n + 2] ?? "")) k = n + 3; // target prot opt
  else if (n > 0 && isOptColumn(f[n] ?? "")) {
    n--; // a numeric prot of a rule without target was read as a count
    k = n + 2;
  } else if (PROTO_WORD.test(f[n + 1] ?? "") && !PROTO_WORD.test(f[n] ?? "")) {
    opt = false; // target prot, the opt column removed
    k = n + 2;
  } else return null;
  const plain = addrLike(f[k]) && addrLike(f[k + 1]);
  const withIfaces = ifaceLike(f[k]) && ifaceLike(f[k + 1]) && addrLike(f[k + 2]) && addrLike(f[k + 3]);
  if (plain === withIfaces) return null;
  return { num: n === 1 || n === 3, counters: n >= 2, ifaces: withIfaces, opt };
}

export function sameColumns(a: Columns, b: Columns): boolean {
  return a.num === b.num && a.counters === b.counters && a.ifaces === b.ifaces && a.opt === b.opt;
}

export function describeColumns(c: Columns): string {
  return [c.num ? "num" : "", c.counters ? "pkts bytes" : "", "target prot", c.opt ? "opt" : "", c.ifaces ? "in out" : "", "source destination"].filter(Boolean).join(" ");
}

const MULT: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** `597`, `597K`, `12M` (units of 1000, as iptables prints them) to a number; null if not a count. */
export function parseCount(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 21) return null;
  const last = s[n - 1]!;
  const unit = MULT[last];
  const digits = unit ? s.slice(0, -1) : s;
  if (digits.length === 0) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(digits) * (unit ?? 1);
}

export function isOptColumn(s: string): boolean {
  return s === "--" || s === "-f" || s === "!f";
}

/** Whitespace-separated fields with their end offsets, up to `max` fields. */
export function fields(line: string, max: number): { f: string[]; ends: number[] } {
  const f: string[] = [];
  const ends: number[] = [];
  let i = 0;
  const n = line.length;
  while (i < n && f.length < max) {
    let c = line.charCodeAt(i);
    while (c === 32 || c === 9) c = line.charCodeAt(++i);
    if (i >= n) break;
    let e = line.indexOf(" ", i);
    if (e < 0) e = n;
    const tab = line.indexOf("\t", i);
    if (tab >= 0 && tab < e) e = tab;
    f.push(line.slice(i, e));
    ends.push(e);
    i = e;
  }
  return { f, ends };
}

export function negated(text: string): { v: string; neg: boolean } {
  return text.charCodeAt(0) === 33 && text.length > 1 ? { v: text.slice(1), neg: true } : { v: text, neg: false };
}
