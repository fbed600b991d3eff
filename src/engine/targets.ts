/**
 * Targets and verdicts: what a matching rule does to the packet and to the
 * walk (ACCEPT/DROP/REJECT, RETURN, jump/goto, DNAT/REDIRECT/SNAT/MASQUERADE,
 * MARK, nft verdict maps, and the targets that just continue).
 */
import { addrWithPort, inCidr, normalizeAddr } from "../net/index.js";
import type { RuleRecord } from "../types.js";
import { chainKey, type BaseChain, type Chain } from "./chains.js";
import { ifaceMatches, normProto, parseNum, VMAP_MATCH } from "./matches.js";
import { primaryAddr } from "./routing.js";
import type { Hook } from "./types.js";
import { step, where, type ChainVerdict, type Ctx, type Frame, type PacketState } from "./state.js";

/** Targets that do something (or nothing we model) and let traversal go on with the next rule. */
export const CONTINUE_TARGETS = new Set([
  "LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CHECKSUM", "TRACE", "TCPMSS", "CT", "NOTRACK", "CLASSIFY", "DSCP", "TOS",
  "TTL", "HL", "AUDIT", "SET", "CONNSECMARK", "SECMARK", "IDLETIMER", "LED", "RATEEST", "TEE", "TPROXY_MARK", "COUNTER",
]);

export const FINAL_TARGETS = new Set(["ACCEPT", "DROP", "REJECT", "RETURN", "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP", "QUEUE", "NFQUEUE", "TPROXY"]);

/** Jump depth limit (a jump loop stops here). */
export const MAX_DEPTH = 64;

/** Writes one step for the matching rule. */
export type StepWriter = (action: string) => void;

/** jump/goto/accept/drop/return from a rule or a verdict map element; returns a final verdict for the base chain or null to go on. */
export function applyVerdict(
  chains: ReadonlyMap<string, Chain>,
  verdict: string,
  target: string | null,
  isGoto: boolean,
  rule: RuleRecord,
  base: BaseChain,
  ctx: Ctx,
  stack: Frame[],
  st: StepWriter,
): ChainVerdict | null {
  const v = verdict.toLowerCase();
  if (v === "accept" || v === "drop" || v === "reject" || v === "return") {
    return applyTarget(v.toUpperCase(), rule, base, ctx, stack, st);
  }
  if (v === "continue") return null;
  if (target === null) return null;
  const cur = stack[stack.length - 1]!.chain;
  const next = chains.get(chainKey(cur.kind, cur.family, cur.table, target));
  if (!next) {
    ctx.result.uncertain.push(`${where(rule)}: target ${target} is neither a known target nor a chain in table ${cur.table}; assumed to continue`);
    st(`unknown target ${target}, continue`);
    return null;
  }
  if (stack.length >= MAX_DEPTH) {
    ctx.result.uncertain.push(`${where(rule)}: jump depth limit (${MAX_DEPTH}) reached at ${target} (jump loop?); assumed ACCEPT`);
    st(`jump ${target} refused: depth limit`);
    return "accept";
  }
  if (isGoto) {
    st(`goto ${target}`);
    stack.pop();
  } else st(`jump ${target}`);
  stack.push({ chain: next, idx: 0 });
  return null;
}

/** A terminal or non-terminal target; returns the base chain's verdict, or null to go on. */
export function applyTarget(target: string, rule: RuleRecord, base: BaseChain, ctx: Ctx, stack: Frame[], st: StepWriter): ChainVerdict | null {
  const { result, p } = ctx;
  switch (target) {
    case "ACCEPT":
      st("ACCEPT");
      return "accept";
    case "DROP":
    case "REJECT":
      st(target);
      result.dropBy = { rule, table: rule.table, chain: rule.chain };
      return target === "DROP" ? "drop" : "reject";
    case "RETURN": {
      stack.pop();
      if (stack.length === 0) {
        st("RETURN (from the base chain)");
        result.steps.push(step(base, ctx.hook, null, `policy ${base.policy}`));
        if (base.policy === "DROP") {
          result.dropBy = { rule: null, table: base.chain.table, chain: base.chain.name };
          return "drop";
        }
        return "accept";
      }
      st(`RETURN to ${stack[stack.length - 1]!.chain.name}`);
      return null;
    }
    case "DNAT":
    case "REDIRECT": {
      if (misplacedNat(target, ["prerouting", "output"], rule, base, ctx, st)) return null;
      if (target === "DNAT") {
        const nat = rule.nat;
        if (!nat || (nat.addr === null && nat.port === null)) {
          result.uncertain.push(`${where(rule)}: DNAT whose destination is unknown (${rule.nat ? "no address" : "its arguments were lost, e.g. nft \"XT target DNAT not found\""}); destination not rewritten`);
          st("DNAT to ? (arguments unknown)");
          p.dnatDone = true;
          return "accept";
        }
        const addr = nat.addr !== null ? (normalizeAddr(nat.addr) ?? nat.addr) : p.dst;
        let port = nat.port ?? p.dport;
        if (nat.port !== null && nat.portTo !== null && p.dport !== null && p.dport >= nat.port && p.dport <= nat.portTo) {
          // a port already in the range is kept (the tuple is unique: this is the connection's first packet)
          port = p.dport;
        }
        if (nat.addrTo !== null && nat.addrTo !== nat.addr) {
          ctx.chooser.choose(`${where(rule)}: DNAT to an address range: the kernel picks one by hash (assumed the first, ${addr})`, rule);
        }
        return rewriteDst("DNAT", addr, port, rule, ctx, st);
      }
      // REDIRECT
      let addr: string | null;
      if (p.inIface === null) addr = p.family === 6 ? "::1" : "127.0.0.1";
      else {
        addr = primaryAddr(ctx.facts, p.inIface, p.family);
        if (addr === null) {
          result.uncertain.push(`${where(rule)}: REDIRECT: no address known for ${p.inIface}; the original destination was kept as the local address`);
          addr = p.dst;
        }
      }
      return rewriteDst("REDIRECT", addr, rule.nat?.port ?? p.dport, rule, ctx, st);
    }
    case "SNAT":
    case "MASQUERADE": {
      if (misplacedNat(target, ["postrouting", "input"], rule, base, ctx, st)) return null;
      p.snatDone = true;
      p.conn.snat = true;
      if (target === "MASQUERADE") {
        const port = rule.nat?.port ?? null;
        result.snat = { addr: null, port, masquerade: true, rule };
        // the source becomes the out-interface's address (its primary one, as the kernel picks for the route)
        const m = ctx.outIface ? primaryAddr(ctx.facts, ctx.outIface, p.family) : null;
        if (m) p.src = m;
        if (port !== null) p.sport = snatPort(p.sport, port, rule.nat?.portTo ?? null, rule, ctx);
        st(`MASQUERADE${ctx.outIface ? ` (to the address of ${ctx.outIface})` : ""}`);
        return "accept";
      }
      const nat = rule.nat;
      if (!nat || nat.addr === null) {
        result.uncertain.push(`${where(rule)}: SNAT whose source address is unknown; source not rewritten`);
        result.snat = { addr: null, port: nat?.port ?? null, masquerade: false, rule };
        st("SNAT to ? (arguments unknown)");
        return "accept";
      }
      const addr = normalizeAddr(nat.addr) ?? nat.addr;
      if (nat.addrTo !== null && nat.addrTo !== nat.addr) {
        ctx.chooser.choose(`${where(rule)}: SNAT to an address range: the kernel picks one by hash (assumed the first, ${addr})`, rule);
      }
      result.snat = { addr, port: nat.port, masquerade: false, rule };
      p.src = addr;
      if (nat.port !== null) p.sport = snatPort(p.sport, nat.port, nat.portTo, rule, ctx);
      st(`SNAT to ${addrWithPort(addr, nat.port)}`);
      return "accept";
    }
    case "QUEUE":
    case "NFQUEUE":
    case "TPROXY":
    case "NETMAP":
      result.uncertain.push(`${where(rule)}: ${target} is not modelled; assumed ACCEPT`);
      st(`${target} (not modelled, assumed ACCEPT)`);
      return "accept";
    case "CT":
    case "NOTRACK": {
      if (target === "NOTRACK" || rule.targetArgs.some((a) => /--notrack\b/.test(a))) return notrack(rule, base, ctx, st);
      st(`${target}${rule.targetArgs.length ? ` ${rule.targetArgs.join(" ")}` : ""}, continue`);
      return null;
    }
    case "MARK":
    case "CONNMARK": {
      if (target === "MARK") applyMark(p, rule.targetArgs);
      st(`${target}${rule.targetArgs.length ? ` ${rule.targetArgs.join(" ")}` : ""}, continue`);
      return null;
    }
    default:
      st(`${target}, continue`);
      return null;
  }
}

/** The source port after SNAT/MASQUERADE to a port (range): kept when in the range, else one the kernel picks at random. */
function snatPort(sport: number | null, from: number, to: number | null, rule: RuleRecord, ctx: Ctx): number | null {
  const hi = to ?? from;
  if (sport !== null && sport >= from && sport <= hi) return sport;
  if (hi === from) return from;
  ctx.result.uncertain.push(`${where(rule)}: source port ${sport} is outside ${from}-${hi}: the kernel picks one of them at random`);
  return null;
}

/**
 * NOTRACK (`-j CT --notrack`, `-j NOTRACK`, nft `notrack`): before conntrack
 * (priority below -200, the raw table) the packet stays untracked: no NAT, `ct
 * state untracked`. Later it does nothing.
 */
export function notrack(rule: RuleRecord, base: BaseChain, ctx: Ctx, st: StepWriter): null {
  if (base.priority < -200 && (ctx.hook === "prerouting" || ctx.hook === "output")) {
    ctx.p.ct = "untracked";
    st("NOTRACK: the packet skips conntrack (no NAT), continue");
  } else st("NOTRACK (after conntrack: no effect), continue");
  return null;
}

/** True (and noted: the rule is ignored) when a NAT target is outside a nat base chain of its hooks. */
function misplacedNat(target: string, hooks: readonly [Hook, Hook], rule: RuleRecord, base: BaseChain, ctx: Ctx, st: StepWriter): boolean {
  if (hooks.includes(ctx.hook) && base.type === "nat") return false;
  ctx.result.uncertain.push(`${where(rule)}: ${target} outside a nat ${hooks.map((h) => h.toUpperCase()).join("/")} chain; ignored`);
  st(`${target} (not applicable here), continue`);
  return true;
}

/** DNAT or REDIRECT to `addr`:`port`: the base chain accepts. */
function rewriteDst(target: "DNAT" | "REDIRECT", addr: string, port: number | null, rule: RuleRecord, ctx: Ctx, st: StepWriter): ChainVerdict {
  const { p } = ctx;
  p.dst = addr;
  p.dport = port;
  p.dnatDone = true;
  p.conn.dnat = true;
  ctx.result.dnat = { addr, port, rule };
  st(`${target} to ${addrWithPort(addr, port)}`);
  return "accept";
}

/** A verdict-map rule (`oifname vmap @m`) evaluated on the interface; undefined when the rule is not one. */
export function vmapTarget(rule: RuleRecord, ctx: Ctx): { verdict: string; target: string | null; goto: boolean } | null | undefined {
  if (rule.target !== null) return undefined;
  const vm = rule.matches.other.find((o) => VMAP_MATCH.test(o));
  if (!vm) return undefined;
  const keyExpr = vm.slice(0, vm.indexOf(" vmap "));
  const { p } = ctx;
  const keyMatches = (el: string): boolean | null => {
    if (/^(iifname|iif|oifname|oif)$/.test(keyExpr)) return ifaceMatches(el, keyExpr.startsWith("i") ? (p.inIface ?? "") : (ctx.outIface ?? ""));
    if (keyExpr === "meta l4proto") return normProto(el) === p.proto;
    if (keyExpr === "ct state") return el.toLowerCase() === p.ct;
    const port = / sport$/.test(keyExpr) ? p.sport : / dport$/.test(keyExpr) ? p.dport : undefined;
    if (port !== undefined) {
      if (port === null) return false;
      const r = /^(\d+)(?:-(\d+))?$/.exec(el);
      return r ? port >= Number(r[1]) && port <= Number(r[2] ?? r[1]) : null;
    }
    const m = /^ip6? (saddr|daddr)$/.exec(keyExpr);
    if (m) return inCidr(m[1] === "saddr" ? p.src : p.dst, el);
    return null;
  };
  for (const el of rule.targetArgs) {
    const m = /^"?([^"]*)"?\s*:\s*(jump|goto)\s+(\S+)$/.exec(el) ?? /^"?([^"]*)"?\s*:\s*(accept|drop|return|continue)$/.exec(el);
    if (!m) continue;
    const hit = keyMatches(m[1]!.trim());
    if (hit === null) {
      if (!ctx.chooser.choose(`${where(rule)}: verdict map element ${m[1]} of \`${keyExpr}\` not evaluated`, rule)) continue;
    } else if (!hit) continue;
    if (m[2] === "jump" || m[2] === "goto") return { verdict: "jump", target: m[3]!, goto: m[2] === "goto" };
    return { verdict: m[2]!, target: null, goto: false };
  }
  if (rule.targetArgs.length === 0) {
    ctx.result.uncertain.push(`${where(rule)}: verdict map ${vm} whose elements are not in the input; assumed no match`);
  }
  return null;
}

function applyMark(p: PacketState, args: string[]): void {
  const text = args.join(" ");
  let m = /--set-xmark\s+(\S+?)(?:\/(\S+))?(?:\s|$)/.exec(text);
  if (m) {
    const v = parseNum(m[1]!) ?? 0;
    const mask = m[2] ? (parseNum(m[2]) ?? 0xffffffff) : 0xffffffff;
    p.mark = ((p.mark & ~mask) ^ v) >>> 0;
    return;
  }
  m = /--set-mark\s+(\S+?)(?:\/(\S+))?(?:\s|$)/.exec(text) ?? /meta mark set (\S+)/.exec(text);
  if (m) {
    const v = parseNum(m[1]!) ?? 0;
    const mask = m[2] ? (parseNum(m[2]) ?? 0xffffffff) : 0xffffffff;
    p.mark = ((p.mark & ~mask) | v) >>> 0;
  }
}
