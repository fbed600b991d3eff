/**
 * What conntrack's text and XML rows share: address and number reads, the
 * two tuples of an entry, and the ConntrackRecord built from an entry.
 */
import type { ParseContext } from "../../format.js";
import type { ConntrackRecord, ConntrackTuple } from "../../types.js";
import type { ParseCaches } from "../../context.js";
import { canonicalIpv4Value, normalizeIpCached, sharedQuad } from "../../net/index.js";

/** L4 protocol numbers, used when a row (or XML) names only one of name/number. */
export const L4_NAMES: Record<number, string> = { 1: "icmp", 2: "unknown", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 58: "icmpv6", 132: "sctp", 136: "udplite" };

/** Words most rows repeat (wordAt). */
export const COMMON_PROTOS = ["tcp", "udp", "icmp"];
export const COMMON_STATES = ["ESTABLISHED", "TIME_WAIT", "SYN_SENT", "SYN_RECV", "CLOSE", "CLOSE_WAIT", "FIN_WAIT", "LAST_ACK"];
export const COMMON_FLAGS = ["ASSURED", "UNREPLIED", "OFFLOAD", "HW_OFFLOAD"];

// ------------------------------------------------------------ addresses --

/** Normalised address text, or null when not an address; `share`: see ParseOptions.shareStrings. */
export function addr(text: string, caches: ParseCaches, share: boolean): string | null {
  const v4 = canonicalIpv4Value(text);
  if (v4 >= 0) return share ? sharedQuad(v4, text, caches) : text;
  return normalizeIpCached(text, caches)?.ip ?? null;
}

// ------------------------------------------------------------- numbers --

/** Non-negative decimal integer of the whole string, or -1. */
export function dec(s: string, from = 0, to = s.length): number {
  if (to <= from || to - from > 20) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** mark= is decimal in conntrack and the kernel; tolerate 0x hex. */
export function markValue(s: string): number {
  if (s.length > 2 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) === 120 || s.charCodeAt(1) === 88)) {
    const v = Number.parseInt(s.slice(2), 16);
    return Number.isNaN(v) || !/^[0-9a-fA-F]+$/.test(s.slice(2)) ? -1 : v;
  }
  return dec(s);
}

export function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

// --------------------------------------------------------------- tuples --

export interface RawTuple {
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  type: number | null;
  code: number | null;
  icmpId: number | null;
  packets: number | null;
  bytes: number | null;
}

export function emptyTuple(): RawTuple {
  return { src: null, dst: null, sport: null, dport: null, type: null, code: null, icmpId: null, packets: null, bytes: null };
}

export function finishTuple(t: RawTuple): ConntrackTuple {
  return {
    src: t.src!,
    dst: t.dst!,
    sport: t.sport,
    dport: t.dport,
    icmp: t.type !== null ? { type: t.type, code: t.code ?? 0, id: t.icmpId ?? 0 } : null,
    packets: t.packets,
    bytes: t.bytes,
  };
}

export interface Entry {
  family: 4 | 6 | null;
  proto: string;
  protoNum: number;
  timeout: number | null;
  state: string | null;
  orig: RawTuple;
  reply: RawTuple;
  flags: string[];
  mark: number | null;
  zone: number | null;
  use: number | null;
  id: number | null;
}

export function record(ctx: ParseContext, no: number, e: Entry): ConntrackRecord {
  const original = finishTuple(e.orig);
  const reply = finishTuple(e.reply);
  const family: 4 | 6 = e.family ?? (original.src.includes(":") || original.dst.includes(":") ? 6 : 4);
  return {
    kind: "conntrack",
    source: { file: ctx.file, line: no },
    format: "conntrack",
    family,
    proto: e.proto,
    protoNum: e.protoNum,
    timeout: e.timeout,
    state: e.state,
    original,
    reply,
    flags: e.flags,
    mark: e.mark,
    zone: e.zone,
    use: e.use,
    id: e.id,
    dnat: reply.src !== original.dst || reply.sport !== original.dport,
    snat: reply.dst !== original.src || reply.dport !== original.sport,
  };
}

