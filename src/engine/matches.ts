/**
 * Rule matches: does a rule's match part hold for the packet as it is now?
 * Matches the engine cannot evaluate are assumed to match and noted.
 */
import { inCidr, isMulticast, parseAddr } from "../net/index.js";
import type { RuleRecord } from "../types.js";
import { NON_IP_FAMILIES } from "./chains.js";
import { isBroadcast, isLocal } from "./routing.js";
import { where, type Ctx } from "./state.js";
import { otherMatch } from "./other-matches.js";
import type { HostFacts } from "./types.js";

const PROTO_NUMBERS: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp", "132": "sctp", "136": "udplite", "33": "dccp", "47": "gre", "50": "esp", "51": "ah" };

export function normProto(p: string): string {
  const t = p.trim().toLowerCase();
  if (t === "icmpv6" || t === "ipv6-icmp") return "ipv6-icmp";
  return PROTO_NUMBERS[t] ?? t;
}

export function parseNum(text: string): number | null {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  if (/^\d+$/.test(t)) return Number(t);
  return null;
}

export function ifaceMatches(pattern: string, iface: string): boolean {
  if (pattern.endsWith("+") || pattern.endsWith("*")) return iface.startsWith(pattern.slice(0, -1)) && (iface !== "" || pattern.length === 1);
  return pattern === iface;
}

/** nft statements the parser keeps among the matches: they act, they do not match. */
export const NFT_STATEMENTS = new Set(["notrack"]);

/** An nft verdict map (`oifname vmap @m`, `tcp dport vmap { 80 : drop }`): its elements are the rule's targetArgs. */
export const VMAP_MATCH = /^(iifname|oifname|iif|oif|(?:tcp|udp|sctp|dccp|udplite|th) (?:dport|sport)|ip6? (?:saddr|daddr)|meta l4proto|ct state) vmap /;

export function addrTypeMatches(types: string, addr: string, facts: HostFacts): { hit: boolean; note: string | null } {
  const list = types.split(",").map((t) => t.trim().toUpperCase()).filter(Boolean);
  let hit = false;
  const notes: string[] = [];
  for (const t of list) {
    switch (t) {
      case "LOCAL":
        if (isLocal(addr, facts)) hit = true;
        break;
      case "MULTICAST":
        if (isMulticast(addr)) hit = true;
        break;
      case "BROADCAST": {
        const b = isBroadcast(addr, facts);
        if (b) hit = true;
        notes.push(`BROADCAST judged from the interface subnets (${b ? "broadcast" : "not broadcast"})`);
        break;
      }
      case "UNICAST": {
        const u = !isLocal(addr, facts) && !isMulticast(addr) && !isBroadcast(addr, facts);
        if (u) hit = true;
        notes.push(`UNICAST judged as neither local, broadcast nor multicast (${u ? "unicast" : "not unicast"})`);
        break;
      }
      default:
        hit = true;
        notes.push(`address type ${t} not modelled; assumed to match`);
    }
  }
  return { hit, note: notes.length ? notes.join("; ") : null };
}

/** True when every match of `rule` holds (or is assumed to: each such assumption is pushed to `unknown`). */
export function ruleMatches(rule: RuleRecord, ctx: Ctx, unknown: string[]): boolean {
  const m = rule.matches;
  const { p, facts } = ctx;
  if (m.inIface) {
    if (ifaceMatches(m.inIface.value, p.inIface ?? "") === m.inIface.negated) return false;
  }
  if (m.outIface) {
    if (ctx.outIface === null) return false;
    if (ifaceMatches(m.outIface.value, ctx.outIface) === m.outIface.negated) return false;
  }
  for (const [field, addr] of [
    [m.src, p.src],
    [m.dst, p.dst],
  ] as const) {
    if (!field) continue;
    const r = inCidr(addr, field.value);
    if (r === null) return false; // other family (or unparsable): the match cannot apply
    if (r === field.negated) return false;
  }
  // nat target of the other family in an inet table: nft adds an implicit family check
  if (rule.nat?.addr && (rule.target === "DNAT" || rule.target === "SNAT")) {
    const a = parseAddr(rule.nat.addr);
    if (a && (a.kind() === "ipv6" ? 6 : 4) !== p.family) return false;
  }
  // an inet rule whose matches name IPv6 (the parser gives it family 6) holds for IPv6 packets only, and the other way round
  if (rule.format === "nft" && (rule.tableFamily ?? rule.matches.other[0]) === "inet" && rule.family === 6 && p.family === 4) return false;
  if (m.proto) {
    const want = normProto(m.proto.value);
    const any = want === "all" || want === "0" || want === "ip";
    const hit = any || want === p.proto;
    if (hit === m.proto.negated) return false;
  }
  for (const [field, port] of [
    [m.sport, p.sport],
    [m.dport, p.dport],
  ] as const) {
    if (!field) continue;
    if (port === null) return false;
    const hit = field.value.some((r) => port >= r.from && port <= r.to);
    if (hit === field.negated) return false;
  }
  for (const [field, addr, which] of [
    [m.srcType, p.src, "src"],
    [m.dstType, p.dst, "dst"],
  ] as const) {
    if (!field) continue;
    const { hit, note } = addrTypeMatches(field.value, addr, facts);
    if (note) unknown.push(`${which}-type ${field.negated ? "! " : ""}${field.value} for ${addr}: ${note}`);
    if (hit === field.negated) return false;
  }
  if (m.ctstate) {
    const states = m.ctstate.value.map((s) => s.trim().toUpperCase());
    const hit = states.some((s) => s === p.ct.toUpperCase() || (s === "DNAT" && p.conn.dnat) || (s === "SNAT" && p.conn.snat));
    if (hit === m.ctstate.negated) return false;
  }
  if (m.mark) {
    const [vs, ms] = m.mark.value.split("/");
    const v = parseNum(vs ?? "");
    const mask = ms !== undefined ? parseNum(ms) : 0xffffffff;
    if (v === null || mask === null) unknown.push(`mark ${m.mark.value} not understood; assumed to match`);
    else {
      const hit = ((p.mark & mask) >>> 0) === v >>> 0;
      if (hit === m.mark.negated) return false;
    }
  }
  for (const o of m.other) {
    if (rule.format === "nft" && (o === "inet" || NON_IP_FAMILIES.has(o))) continue;
    if (VMAP_MATCH.test(o)) continue;
    if (rule.format === "nft" && NFT_STATEMENTS.has(o)) continue;
    const r = otherMatch(o, rule, ctx);
    if (r === true) continue;
    if (r === false) return false;
    if (!ctx.chooser.choose(`${where(rule)}: match not evaluated: ${o}`, rule)) return false;
    unknown.push(`match not evaluated, assumed to match: ${o}`);
  }
  return true;
}
