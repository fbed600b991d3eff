/**
 * Address text: the one definition of what an address is and how it is
 * written. Brackets and a `%zone` are stripped; IPv4 is four decimal parts
 * (no `10.1`, no hex or octal forms); IPv6 is validated by ipaddr.js and
 * written per RFC 5952; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is
 * the IPv4 address (flagged `mapped`). Parsers normalise what they print
 * through here, and the analysis (addr.ts) parses by the same rules.
 */
import ipaddr from "ipaddr.js";
import { cachedIn, type ParseCaches } from "../context.js";
import { ownCopy } from "../strings.js";

export interface NormalIp {
  ip: string;
  family: 4 | 6;
  /** The input was an IPv4-mapped IPv6 address written here as IPv4. */
  mapped: boolean;
}

/** Decimal text of every byte value, so hot loops build dotted quads without number formatting. */
export const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** The value of a dotted quad as normalizeIp writes it (four parts 0..255 without leading zeros), or -1. */
export function canonicalIpv4Value(s: string): number {
  let parts = 0;
  let digits = 0;
  let v = 0;
  let lead0 = false;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || v > 255 || (lead0 && digits > 1)) return -1;
      value = value * 256 + v;
      parts++;
      digits = 0;
      v = 0;
      lead0 = false;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) lead0 = c === 48;
      v = v * 10 + (c - 48);
      digits++;
      if (digits > 3) return -1;
    } else return -1;
  }
  return parts === 4 ? value : -1;
}

/**
 * One shared copy of a dotted quad in normal form (`text`, whose value is `v`):
 * dumps repeat addresses on every row, and a copy cut from a line would keep
 * the line's read chunk alive. Keyed by value, cheaper to look up than text.
 */
export function sharedQuad(v: number, text: string, caches: ParseCaches): string {
  const quads = caches.quads;
  let q = quads.get(v);
  if (q === undefined) {
    if (quads.size >= 1 << 16) quads.clear();
    quads.set(v, (q = ownCopy(text)));
  }
  return q;
}

/**
 * The shared dotted quad of the IPv4 address whose value is `v` (the same
 * table as sharedQuad): for parsers that read addresses as numbers (the
 * kernel's hex words), which need no text unless the address is new.
 */
export function quadOfValue(v: number, caches: ParseCaches): string {
  return caches.quads.get(v) ?? sharedQuad(v, ipv4Text(v), caches);
}

/** The dotted quad of an IPv4 address's 32-bit value. */
export function ipv4Text(v: number): string {
  return `${DEC[v >>> 24]}.${DEC[(v >>> 16) & 255]}.${DEC[(v >>> 8) & 255]}.${DEC[v & 255]}`;
}

/** The parsed address of `text` (see the module comment), and whether it was IPv4-mapped; null when not an address. */
export function parseIp(text: string): { addr: ipaddr.IPv4 | ipaddr.IPv6; mapped: boolean } | null {
  let t = text;
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  const pct = t.indexOf("%");
  if (pct >= 0) t = t.slice(0, pct);
  if (t.includes(":")) {
    if (!ipaddr.IPv6.isValid(t)) return null;
    const v6 = ipaddr.IPv6.parse(t);
    if (v6.isIPv4MappedAddress()) return { addr: v6.toIPv4Address(), mapped: true };
    return { addr: v6, mapped: false };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(t)) return null;
  return { addr: ipaddr.IPv4.parse(t), mapped: false };
}

/** The normal text of a parsed address: dotted IPv4, RFC 5952 IPv6. */
export function ipText(a: ipaddr.IPv4 | ipaddr.IPv6): string {
  return a.kind() === "ipv6" ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

/**
 * Normalise a printed address: strips brackets and a `%zone`, validates with
 * ipaddr.js, writes IPv6 per RFC 5952 and IPv4-mapped IPv6 as dotted IPv4.
 * Returns null for anything that is not an address (a host name, `*`).
 * Parsers pass their run's caches: a dotted quad then comes back as the
 * run's one shared copy (sharedQuad), never as a slice of `text`.
 */
export function normalizeIp(text: string, caches?: ParseCaches): NormalIp | null {
  // the common case, already in normal form (ipaddr.js parses with regular expressions)
  const v4 = canonicalIpv4Value(text);
  if (v4 >= 0) return { ip: caches ? sharedQuad(v4, text, caches) : text, family: 4, mapped: false };
  const p = parseIp(text);
  if (!p) return null;
  return { ip: ipText(p.addr), family: p.addr.kind() === "ipv6" ? 6 : 4, mapped: p.mapped };
}

/**
 * normalizeIp through the run's cache: ipaddr.js costs microseconds per call
 * and dumps repeat the same few host addresses on every row. Keys are copied,
 * so a cached slice of a line never keeps a whole read buffer alive.
 */
export function normalizeIpCached(text: string, caches: ParseCaches): NormalIp | null {
  const ips = caches.ips;
  let n = ips.get(text);
  if (n === undefined) {
    const key = ownCopy(text);
    n = normalizeIp(key, caches);
    if (ips.size >= 1 << 14) ips.clear();
    ips.set(key, n);
  }
  return n;
}

/**
 * A CIDR as an address and a prefix length: `10.0.0.0/8`, `fd00::/64`, a
 * dotted (or IPv6) netmask `192.168.1.0/255.255.255.0`, or a bare address
 * (/32, /128). The address keeps its host bits. Null when not a CIDR.
 */
export function parseCidrText(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  const slash = text.indexOf("/");
  const p = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!p) return null;
  const a = p.addr;
  const max = a.kind() === "ipv6" ? 128 : 32;
  if (slash < 0) return [a, max];
  const rest = text.slice(slash + 1);
  if (/^\d+$/.test(rest)) {
    const n = Number(rest);
    return n <= max ? [a, n] : null;
  }
  const mask = parseIp(rest);
  if (mask && !mask.mapped && mask.addr.kind() === a.kind()) {
    const len = mask.addr.prefixLengthFromSubnetMask();
    if (len !== null) return [a, len];
  }
  return null;
}

/** A CIDR in normal text, `addr/len` (see parseCidrText); null when not a CIDR. */
export function normalizeCidr(text: string): string | null {
  const c = parseCidrText(text);
  return c ? `${ipText(c[0])}/${c[1]}` : null;
}

/** normalizeCidr through the run's cache (rule sets repeat the same few addresses many times). */
export function normalizeCidrCached(text: string, caches: ParseCaches): string | null {
  return cachedIn(caches.cidrs, text, 1 << 14, normalizeCidr, ownCopy);
}
