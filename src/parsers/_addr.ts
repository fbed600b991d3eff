/**
 * Address helpers shared by the parsers: kernel hex decoding for /proc/net,
 * and normalisation of printed addresses (RFC 5952 IPv6, IPv4-mapped IPv6 to
 * dotted IPv4). Validation and IPv6 formatting use ipaddr.js.
 */
import { ownCopy } from "../strings.js";
import ipaddr from "ipaddr.js";

export interface NormalIp {
  ip: string;
  family: 4 | 6;
  /** The input was an IPv4-mapped IPv6 address written here as IPv4. */
  mapped: boolean;
}

/** Decimal text of every byte value, so hot loops build dotted quads without number formatting. */
const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/** Parse `len` hex digits of `s` at `at` as an unsigned number; -1 when not hex. */
export function hexAt(s: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const n = hexNibble(s.charCodeAt(i));
    if (n < 0) return -1;
    v = v * 16 + n;
  }
  return v;
}

/**
 * Bytes of one kernel-printed 32-bit word (8 hex digits at `at`), in memory
 * order. The kernel prints the network-order word as a host integer, so on a
 * little-endian host the bytes come out reversed.
 */
function wordBytes(s: string, at: number, little: boolean, out: number[]): boolean {
  const w = hexAt(s, at, 8);
  if (w < 0) return false;
  const b0 = (w >>> 24) & 255, b1 = (w >>> 16) & 255, b2 = (w >>> 8) & 255, b3 = w & 255;
  if (little) out.push(b3, b2, b1, b0);
  else out.push(b0, b1, b2, b3);
  return true;
}

/** Decode an 8-digit IPv4 word, e.g. `0100007F` -> `127.0.0.1` (little-endian host). */
export function decodeHexIpv4(hex: string, little = true, at = 0): string | null {
  const w = hexAt(hex, at, 8);
  if (w < 0) return null;
  const b0 = (w >>> 24) & 255, b1 = (w >>> 16) & 255, b2 = (w >>> 8) & 255, b3 = w & 255;
  return little
    ? `${DEC[b3]}.${DEC[b2]}.${DEC[b1]}.${DEC[b0]}`
    : `${DEC[b0]}.${DEC[b1]}.${DEC[b2]}.${DEC[b3]}`;
}

/** Decode a 32-digit IPv6 address as four kernel words; IPv4-mapped becomes dotted IPv4. */
export function decodeHexIpv6(hex: string, little = true, at = 0): NormalIp | null {
  const bytes: number[] = [];
  for (let i = 0; i < 4; i++) if (!wordBytes(hex, at + i * 8, little, bytes)) return null;
  return fromBytes16(bytes);
}

export function fromBytes16(bytes: number[]): NormalIp {
  let mapped = bytes[10] === 255 && bytes[11] === 255;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped) {
    return { ip: `${DEC[bytes[12]!]}.${DEC[bytes[13]!]}.${DEC[bytes[14]!]}.${DEC[bytes[15]!]}`, family: 4, mapped: true };
  }
  let zero = true;
  for (const b of bytes) if (b !== 0) { zero = false; break; }
  if (zero) return { ip: "::", family: 6, mapped: false };
  return { ip: (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String(), family: 6, mapped: false };
}

/** Encode an address the way the kernel prints it in /proc/net (inverse of the decoders). */
export function encodeProcHex(address: string, little = true): string {
  const parsed = ipaddr.parse(address);
  const bytes = parsed.toByteArray();
  let out = "";
  for (let w = 0; w < bytes.length; w += 4) {
    const word = little ? bytes.slice(w, w + 4).reverse() : bytes.slice(w, w + 4);
    for (const b of word) out += b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

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

const QUADS = new Map<number, string>();

/**
 * One shared copy of a dotted quad in normal form (`text`, whose value is `v`):
 * dumps repeat addresses on every row, and a copy cut from a line would keep
 * the line's read chunk alive. Keyed by value, cheaper to look up than text.
 */
export function sharedQuad(v: number, text: string): string {
  let q = QUADS.get(v);
  if (q === undefined) {
    if (QUADS.size >= 1 << 16) QUADS.clear();
    QUADS.set(v, (q = ownCopy(text)));
  }
  return q;
}

/**
 * Normalise a printed address: strips brackets and a `%zone`, validates with
 * ipaddr.js, writes IPv6 per RFC 5952 and IPv4-mapped IPv6 as dotted IPv4.
 * Returns null for anything that is not an address (a host name, `*`).
 */
export function normalizeIp(text: string): NormalIp | null {
  // the common case, already in normal form (ipaddr.js parses with regular expressions)
  const v4 = canonicalIpv4Value(text);
  if (v4 >= 0) return { ip: sharedQuad(v4, text), family: 4, mapped: false };
  let t = text;
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  const pct = t.indexOf("%");
  if (pct >= 0) t = t.slice(0, pct);
  if (t.includes(":")) {
    if (!ipaddr.IPv6.isValid(t)) return null;
    const v6 = ipaddr.IPv6.parse(t);
    if (v6.isIPv4MappedAddress()) return { ip: v6.toIPv4Address().toString(), family: 4, mapped: true };
    return { ip: v6.toRFC5952String(), family: 6, mapped: false };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(t)) return null;
  return { ip: ipaddr.IPv4.parse(t).toString(), family: 4, mapped: false };
}

const IP_CACHE = new Map<string, NormalIp | null>();

/**
 * normalizeIp with a bounded cache: ipaddr.js costs microseconds per call and
 * dumps repeat the same few host addresses on every row. Keys are copied, so a
 * cached slice of a line never keeps a whole read buffer alive.
 */
export function normalizeIpCached(text: string): NormalIp | null {
  let n = IP_CACHE.get(text);
  if (n === undefined) {
    const key = ownCopy(text);
    n = normalizeIp(key);
    if (IP_CACHE.size >= 1 << 14) IP_CACHE.clear();
    IP_CACHE.set(key, n);
  }
  return n;
}

/**
 * Normalise a CIDR (`10.0.0.0/8`, `fd00::/64`, `192.168.1.0/255.255.255.0`, a
 * bare address gets /32 or /128). Returns null when not an address.
 */
export function normalizeCidr(text: string): string | null {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const n = normalizeIp(addr);
  if (!n) return null;
  const max = n.family === 4 ? 32 : 128;
  if (slash < 0) return `${n.ip}/${max}`;
  const mask = text.slice(slash + 1);
  if (/^\d+$/.test(mask)) {
    const len = Number(mask);
    return len <= max ? `${n.ip}/${len}` : null;
  }
  if (n.family === 4 && ipaddr.IPv4.isValidFourPartDecimal(mask)) {
    const len = ipaddr.IPv4.parse(mask).prefixLengthFromSubnetMask();
    return len === null ? null : `${n.ip}/${len}`;
  }
  return null;
}
