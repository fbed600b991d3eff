/**
 * Kernel hex addresses, as /proc/net/{tcp,udp,tcp6,udp6} print them: decoding
 * (IPv4-mapped IPv6 to dotted IPv4, IPv6 per RFC 5952) and the inverse.
 */
import ipaddr from "ipaddr.js";
import { DEC, ipv4Text, type NormalIp } from "./ip.js";

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

/**
 * The IPv4 address (its 32-bit value) of a kernel-printed word: the kernel
 * prints the network-order word as a host integer, reversed on a
 * little-endian host.
 */
export function ipv4ValueOfWord(word: number, little: boolean): number {
  return little ? (((word & 255) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0 : word;
}

/** Decode an 8-digit IPv4 word, e.g. `0100007F` -> `127.0.0.1` (little-endian host). */
export function decodeHexIpv4(hex: string, little = true, at = 0): string | null {
  const w = hexAt(hex, at, 8);
  return w < 0 ? null : ipv4Text(ipv4ValueOfWord(w, little));
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
