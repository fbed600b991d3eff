/**
 * Matches the parsers keep verbatim in `matches.other` that the engine can
 * still decide: nft payload matches against anonymous and named sets, ranges
 * and negations (`ip saddr != { 10.0.0.0/8 }`, `tcp dport @ports`), `fib daddr
 * [. iif] type`, `meta nfproto`, `ct status`, `ct original ...`, and iptables'
 * `-m conntrack --ctorig*` / `--ctstatus` and `-m addrtype --limit-iface-in`.
 * Anything else is unknown (null): the walk then explores both outcomes.
 */
import { inCidr, normalizeAddr } from "../net/addr.js";
import type { RuleRecord } from "../types.js";
import { isLocal } from "./routing.js";
import type { Ctx, PacketState } from "./state.js";
import type { InterfaceFacts } from "./types.js";

/** true / false, or null when the engine cannot tell. */
export type Tri = boolean | null;

/** A value set: `{ a, b-c, d/8 }`, `@name` (from rule.sets) or one literal. Null when a named set's elements are not known. */
function elementsOf(value: string, rule: RuleRecord): string[] | null {
  const v = value.trim();
  if (v.startsWith("@")) return rule.sets?.[v.slice(1)] ?? null;
  if (v.startsWith("{")) {
    return v
      .replace(/^\{|\}$/g, "")
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
  }
  return [v];
}

function addrIn(addr: string, el: string): Tri {
  const e = el.replace(/^"|"$/g, "");
  const dash = e.indexOf("-");
  if (dash > 0 && !e.includes("/")) {
    // an address range a-b
    const a = normalizeAddr(e.slice(0, dash).trim());
    const b = normalizeAddr(e.slice(dash + 1).trim());
    if (a === null || b === null) return null;
    const x = addrNum(addr);
    const lo = addrNum(a);
    const hi = addrNum(b);
    if (x === null || lo === null || hi === null) return null;
    return x >= lo && x <= hi;
  }
  return inCidr(addr, e);
}

function addrNum(a: string): bigint | null {
  const n = normalizeAddr(a);
  if (n === null) return null;
  if (!n.includes(":")) return n.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head, tail] = n.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function portIn(port: number, el: string): Tri {
  const m = /^(\d+)(?:-(\d+))?$/.exec(el.trim());
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  return port >= lo && port <= hi;
}

/** Any element holds (true), none does (false), or some cannot be judged and none holds (null). */
function anyOf(els: string[], test: (el: string) => Tri): Tri {
  let unknown = false;
  for (const el of els) {
    const r = test(el);
    if (r === true) return true;
    if (r === null) unknown = true;
  }
  return unknown ? null : false;
}

function negate(r: Tri, neg: boolean): Tri {
  return r === null ? null : r !== neg;
}

const ADDR_FIELD = /^(ip6?) (saddr|daddr) (!= |== )?(.+)$/;
const PORT_FIELD = /^(tcp|udp|sctp|dccp|udplite|th) (sport|dport) (!= |== )?(.+)$/;

function addrsOn(ctx: Ctx, iface: string | null): string[] {
  if (iface === null) return [];
  const i = ctx.facts.interfaces.find((x) => x.name === iface) as InterfaceFacts | undefined;
  return i?.addresses ?? [];
}

/** An address of the in-interface (loopback addresses count as on `lo`). */
function onInIface(ctx: Ctx, addr: string): Tri {
  const iface = ctx.p.inIface;
  if (iface === null || iface === "lo") return isLocal(addr, ctx.facts);
  const n = normalizeAddr(addr);
  const list = addrsOn(ctx, iface);
  if (list.length === 0 && !ctx.facts.interfaces.some((x) => x.name === iface)) return null;
  return n !== null && list.includes(n);
}

function ctStatus(p: PacketState, what: string): Tri {
  const want = what.split(",").map((s) => s.trim().toLowerCase());
  let unknown = false;
  for (const w of want) {
    if (w === "dnat" && p.conn.dnat) return true;
    if (w === "snat" && p.conn.snat) return true;
    if (w === "seen-reply" || w === "assured" || w === "confirmed" || w === "expected") unknown = true;
  }
  return unknown ? null : false;
}

/** Decide one verbatim match: true, false, or null (unknown). */
export function otherMatch(o: string, rule: RuleRecord, ctx: Ctx): Tri {
  const { p } = ctx;
  if (rule.format === "nft") {
    let m = ADDR_FIELD.exec(o);
    if (m) {
      if ((m[1] === "ip6") !== (p.family === 6)) return false;
      const els = elementsOf(m[4]!, rule);
      if (els === null) return null;
      const addr = m[2] === "saddr" ? p.src : p.dst;
      return negate(anyOf(els, (e) => addrIn(addr, e)), m[3] === "!= ");
    }
    m = PORT_FIELD.exec(o);
    if (m) {
      if (m[1] !== "th" && m[1] !== p.proto) return false;
      const port = m[2] === "sport" ? p.sport : p.dport;
      if (port === null) return false;
      const els = elementsOf(m[4]!, rule);
      if (els === null) return null;
      return negate(anyOf(els, (e) => portIn(port, e)), m[3] === "!= ");
    }
    m = /^meta nfproto (!= )?(ipv4|ipv6)$/.exec(o);
    if (m) return negate((m[2] === "ipv6") === (p.family === 6), m[1] !== undefined);
    m = /^fib daddr \. iif type (!= )?(\S+)$/.exec(o);
    if (m) {
      if (m[2] !== "local") return null;
      return negate(onInIface(ctx, p.dst), m[1] !== undefined);
    }
    m = /^ct status (!= )?(\S+)$/.exec(o);
    if (m) return negate(ctStatus(p, m[2]!), m[1] !== undefined);
    m = /^ct original (?:(?:ip6?) )?(proto-dst|proto-src|daddr|saddr) (!= )?(\S+)$/.exec(o);
    if (m) {
      const c = p.conn;
      const els = elementsOf(m[3]!, rule);
      if (els === null) return null;
      if (m[1] === "proto-dst" || m[1] === "proto-src") {
        const port = m[1] === "proto-dst" ? c.dport : c.sport;
        if (port === null) return false;
        return negate(anyOf(els, (e) => portIn(port, e)), m[2] !== undefined);
      }
      return negate(anyOf(els, (e) => addrIn(m![1] === "daddr" ? c.dst : c.src, e)), m[2] !== undefined);
    }
    return null;
  }
  // iptables: `-m conntrack --ctorigdstport 8080`, `-m addrtype --limit-iface-in`
  if (/^-m addrtype( --limit-iface-in)?$/.test(o.trim())) {
    const m = rule.matches;
    if (!o.includes("--limit-iface-in")) return true;
    // the address types are judged on the in-interface only: for LOCAL, the address must be one of its own
    let r: Tri = true;
    for (const [field, addr] of [
      [m.dstType, p.dst],
      [m.srcType, p.src],
    ] as const) {
      if (!field) continue;
      if (field.value.toUpperCase() !== "LOCAL") return null;
      const on = onInIface(ctx, addr);
      if (on === null) return null;
      r = r && on !== field.negated;
    }
    return r;
  }
  const ct = /^-m conntrack((?: (?:! )?--ct\S+ \S+)+)$/.exec(o.trim());
  if (ct) {
    const c = p.conn;
    const parts = [...ct[1]!.matchAll(/(!\s)?--(ct\S+) (\S+)/g)];
    for (const part of parts) {
      const neg = part[1] !== undefined;
      const v = part[3]!;
      let r: Tri;
      switch (part[2]) {
        case "ctorigdstport":
        case "ctorigsrcport": {
          const port = part[2] === "ctorigdstport" ? c.dport : c.sport;
          r = port === null ? false : portIn(port, v.replace(":", "-"));
          break;
        }
        case "ctorigdst":
        case "ctorigsrc":
          r = inCidr(part[2] === "ctorigdst" ? c.dst : c.src, v);
          break;
        case "ctstatus":
          r = ctStatus(p, v);
          break;
        default:
          r = null;
      }
      const got = negate(r, neg);
      if (got !== true) return got;
    }
    return true;
  }
  return null;
}
