/**
 * Addresses for the analysis side: parsing (brackets stripped, IPv4-mapped
 * IPv6 read as IPv4), normal text, CIDR membership, loopback and multicast,
 * and `ip:port` endpoint text.
 */
import ipaddr from "ipaddr.js";

export type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/*
 * Address and CIDR parsing is pure and the same few thousand texts come back
 * for every traced packet and rule, so results are cached by text (the parsed
 * objects are never mutated). The caches are emptied when they grow large.
 */
export const CACHE_MAX = 1 << 18;
const addrCache = new Map<string, Addr | null>();
const cidrCache = new Map<string, [Addr, number] | null>();
const normCache = new Map<string, string | null>();

function cached<V>(cache: Map<string, V>, key: string, make: (k: string) => V): V {
  const hit = cache.get(key);
  if (hit !== undefined || cache.has(key)) return hit as V;
  if (cache.size >= CACHE_MAX) cache.clear();
  const v = make(key);
  cache.set(key, v);
  return v;
}

export function parseAddr(text: string): Addr | null {
  return cached(addrCache, text, parseAddrUncached);
}

function parseAddrUncached(text: string): Addr | null {
  try {
    const a = ipaddr.parse(text.replace(/^\[|\]$/g, ""));
    if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address();
    return a;
  } catch {
    return null;
  }
}

export function normalizeAddr(text: string): string | null {
  return cached(normCache, text, normalizeAddrUncached);
}

function normalizeAddrUncached(text: string): string | null {
  const a = parseAddr(text);
  if (!a) return null;
  return a.kind() === "ipv6" ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

export function parseCidr(text: string): [Addr, number] | null {
  return cached(cidrCache, text, parseCidrUncached);
}

function parseCidrUncached(text: string): [Addr, number] | null {
  const slash = text.indexOf("/");
  const a = parseAddr(slash < 0 ? text : text.slice(0, slash));
  if (!a) return null;
  const max = a.kind() === "ipv6" ? 128 : 32;
  if (slash < 0) return [a, max];
  const rest = text.slice(slash + 1);
  if (/^\d+$/.test(rest)) {
    const n = Number(rest);
    return n <= max ? [a, n] : null;
  }
  const mask = parseAddr(rest);
  if (mask && mask.kind() === a.kind()) {
    const len = mask.prefixLengthFromSubnetMask();
    if (len !== null) return [a, len];
  }
  return null;
}

/** True/false, or null when the address and the CIDR are of different families. */
export function inCidr(addr: string, cidr: string): boolean | null {
  const a = parseAddr(addr);
  const c = parseCidr(cidr);
  if (!a || !c) return null;
  if (a.kind() !== c[0].kind()) return null;
  return (a as ipaddr.IPv4).match(c as [ipaddr.IPv4, number]);
}

export function isLoopback(addr: string): boolean {
  const a = parseAddr(addr);
  if (!a) return false;
  return a.range() === "loopback";
}

export function isMulticast(addr: string): boolean {
  const a = parseAddr(addr);
  return a !== null && a.range() === "multicast";
}

export function fmtAddrPort(addr: string, port: number | null): string {
  const a = addr.includes(":") ? `[${addr}]` : addr;
  return port === null ? addr : `${a}:${port}`;
}
