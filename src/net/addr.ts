/**
 * Addresses for the analysis side: parsed objects and normal text by the
 * rules of ip.ts (so the engine, the host model and the parsers agree on
 * every address), CIDR membership, family, loopback, multicast, and "is this
 * address local" for a set of local addresses.
 */
import ipaddr from "ipaddr.js";
import { cachedIn, type AddrMemo } from "../context.js";
import { canonicalIpv4Value, ipText, parseCidrText, parseIp } from "./ip.js";

export type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/*
 * Address and CIDR parsing is pure and the same few thousand texts come back
 * for every traced packet, rule and flow, so results are memoised by text (the
 * parsed objects are never mutated) in the run's AddrMemo (src/context.ts):
 * analyzeBundle and traceRules make one per host and run their synchronous
 * stages inside withAddrMemo(). Nothing is kept in module state between runs:
 * `active` points at a memo only while such a synchronous call runs (no other
 * code can run meanwhile, so hosts analysed concurrently in one process never
 * see each other's memo), and calls outside any run compute without a memo.
 * Each map is bounded: emptied when it holds CACHE_MAX entries.
 */
export const CACHE_MAX = 1 << 18;
let active: AddrMemo | null = null;

/**
 * Run `fn` (synchronous: a promise it returned would outlive the memo's turn)
 * with `memo` as the address memo; the previous one (if any) is restored after.
 */
export function withAddrMemo<T>(memo: AddrMemo, fn: () => T): T {
  const prev = active;
  active = memo;
  try {
    return fn();
  } finally {
    active = prev;
  }
}

/** The memo of the run in progress, or null outside any (for tests: nothing is kept between runs). */
export function activeAddrMemo(): AddrMemo | null {
  return active;
}

function cached<K extends "addrs" | "cidrs" | "norms", V>(which: K, key: string, make: (k: string) => V): V {
  const memo = active;
  return memo ? cachedIn(memo[which] as unknown as Map<string, V>, key, CACHE_MAX, make) : make(key);
}

/** The address (IPv4-mapped IPv6 as IPv4); null when `text` is not one. */
export function parseAddr(text: string): Addr | null {
  return cached("addrs", text, (t) => parseIp(t)?.addr ?? null);
}

/** Normal text (dotted IPv4, RFC 5952 IPv6, IPv4-mapped as IPv4); null when not an address. */
export function normalizeAddr(text: string): string | null {
  // already normal (the common case): no lookup
  if (canonicalIpv4Value(text) >= 0) return text;
  return cached("norms", text, (t) => {
    const a = parseAddr(t);
    return a ? ipText(a) : null;
  });
}

/** A CIDR (or a bare address: /32, /128) as address and prefix length; null when not one. */
export function parseCidr(text: string): [Addr, number] | null {
  return cached("cidrs", text, parseCidrText);
}

/** True/false, or null when the address and the CIDR are of different families (or either does not parse). */
export function inCidr(addr: string, cidr: string): boolean | null {
  const a = parseAddr(addr);
  const c = parseCidr(cidr);
  if (!a || !c) return null;
  if (a.kind() !== c[0].kind()) return null;
  return (a as ipaddr.IPv4).match(c as [ipaddr.IPv4, number]);
}

/** The subnet `ip/prefixLen` lies in, as `network/prefixLen` (host bits cleared); null when not an address or too long a prefix. */
export function subnetOf(ip: string, prefixLen: number): string | null {
  const a = parseAddr(ip);
  if (!a || prefixLen > (a.kind() === "ipv6" ? 128 : 32)) return null;
  const net = a.kind() === "ipv6" ? ipaddr.IPv6.networkAddressFromCIDR(`${ipText(a)}/${prefixLen}`) : ipaddr.IPv4.networkAddressFromCIDR(`${ipText(a)}/${prefixLen}`);
  return `${ipText(net)}/${prefixLen}`;
}

/** 4 or 6 for normal address text (as parsers and normalizeAddr write it). */
export function familyOf(ip: string): 4 | 6 {
  return ip.includes(":") ? 6 : 4;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127/8. */
export function isLoopback(addr: string): boolean {
  if (addr === "::1") return true;
  const v = canonicalIpv4Value(addr);
  if (v >= 0) return v >>> 24 === 127;
  const a = parseAddr(addr);
  if (!a) return false;
  return a.range() === "loopback";
}

/** fe80::/10 and 169.254.0.0/16: an address every interface has, or may, so no container's. */
export function isLinkLocal(addr: string): boolean {
  const a = parseAddr(addr);
  return a !== null && a.range() === "linkLocal";
}

export function isMulticast(addr: string): boolean {
  const a = parseAddr(addr);
  return a !== null && a.range() === "multicast";
}

/**
 * Whether `addr` is an address of this host: loopback, or one of `localAddrs`
 * (normal text, as the host facts hold them), whatever way `addr` is written.
 */
export function isLocalAddr(addr: string, localAddrs: ReadonlySet<string>): boolean {
  if (localAddrs.has(addr) || isLoopback(addr)) return true;
  const n = normalizeAddr(addr);
  return n !== null && n !== addr && localAddrs.has(n);
}
