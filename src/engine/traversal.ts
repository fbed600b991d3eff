/**
 * The traversal: walk the first packet of a NEW connection through the
 * netfilter hooks (see types.ts for the contract).
 *
 * Model (real netfilter, first packet only):
 * - arriving packet: PREROUTING (raw -300, mangle -150, nat -100) -> routing ->
 *   INPUT (mangle, filter, security, nat 100) or FORWARD (mangle, filter,
 *   security) + POSTROUTING (mangle, nat 100);
 * - locally generated packet: OUTPUT (raw, mangle, nat, filter, security) ->
 *   routing -> POSTROUTING; a packet to a local address then loops back through
 *   PREROUTING / INPUT on `lo` without nat (nat is decided once per connection).
 * - iptables tables and nft base chains are merged into one list per hook,
 *   ordered by priority (chains.ts); `accept` ends only the current base chain
 *   (table), `drop`/`reject` are final.
 * - once a nat base chain of a hook has translated the packet, later nat base
 *   chains of that hook are skipped (nat is set up once per manip type).
 */
import { normalizeAddr } from "../net/index.js";
import type { ChainRecord, RuleRecord } from "../types.js";
import { nextCandidate } from "./chain-index.js";
import { assembleChains, type BaseChain, type Chain } from "./chains.js";
import { normProto, ruleMatches } from "./matches.js";
import { isLoopback } from "../net/addr.js";
import { confKey, ifaceText, primaryAddr, route } from "./routing.js";
import { Chooser, step, where, type Assumption, type ChainVerdict, type Ctx, type Frame, type PacketState } from "./state.js";
import { applyTarget, applyVerdict, CONTINUE_TARGETS, FINAL_TARGETS, notrack, vmapTarget } from "./targets.js";
import type { EngineTraceResult, HostFacts, HostState, Hook, Packet, TraceOptions } from "./types.js";
import { uncapturedTables, type CoveredTable, type TableCoverage } from "./coverage.js";
import { NatOrder } from "./nat-order.js";
import { SourceClasses } from "./source-class.js";

const MAX_STEPS = 20000;

/** Most walks one trace makes to explore unknown matches and host facts. */
export const MAX_BRANCHES = 64;

function outcomeText(r: EngineTraceResult): string {
  if (r.verdict !== "accept") return r.verdict;
  const to = r.finalDst.addr.includes(":") ? `[${r.finalDst.addr}]:${r.finalDst.port}` : `${r.finalDst.addr}:${r.finalDst.port}`;
  return `accept to ${to}${r.reply && r.reply.verdict !== "accept" ? `, reply ${r.reply.verdict}` : ""}`;
}

export interface RuleSetOptions {
  /**
   * Build the long-chain index (chain-index.ts) for chains of 32+ rules
   * (default true). Off, every chain is walked rule by rule: the same traces,
   * slower; the tests compare the two.
   */
  longChainIndex?: boolean;
  /**
   * Which tables the captures show (coverage.ts). A trace that passes a hook
   * of a table that was not captured ends `unknown`. Without it every table
   * the rules do not show is taken as absent (the engine's behaviour before
   * coverage was known).
   */
  coverage?: TableCoverage;
}

export class RuleSet {
  private readonly chains: Map<string, Chain>;
  private readonly bases: BaseChain[];

  private readonly coverage: TableCoverage | null;
  private readonly sourceClasses: SourceClasses;
  private readonly natOrder: NatOrder;

  constructor(rules: RuleRecord[], chains: ChainRecord[], options: RuleSetOptions = {}) {
    const assembled = assembleChains(rules, chains, options.longChainIndex ?? true);
    this.chains = assembled.chains;
    this.bases = assembled.bases;
    this.coverage = options.coverage ?? null;
    this.sourceClasses = new SourceClasses(this.chains);
    this.natOrder = new NatOrder(this.chains);
  }

  /** Tables not captured whose hook `hook` is (for the family): their verdicts are unknown. */
  private uncaptured(hook: Hook, family: 4 | 6): CoveredTable[] {
    return this.coverage ? uncapturedTables(this.coverage, hook, family) : [];
  }

  /** A walk passed a hook of a table the captures do not show: the verdict is unknown, and why. */
  private markUncaptured(r: EngineTraceResult, passed: { family: 4 | 6; table: CoveredTable; hook: Hook }[]): EngineTraceResult {
    if (passed.length === 0 || r.verdict === "unknown") return r;
    // a filter table can only drop too: a packet the captured rules drop is not delivered either way
    if ((r.verdict === "drop" || r.verdict === "reject") && passed.every((u) => u.table === "filter")) return r;
    const first = passed[0]!;
    const tables = [...new Set(passed.map((u) => u.table))];
    const hooks = [...new Set(passed.map((u) => u.hook.toUpperCase()))];
    const what = `the IPv${first.family} ${tables.join(" and ")} table${tables.length > 1 ? "s" : ""}, which no capture shows (the packet passes ${hooks.join(", ")}; taken as empty)`;
    r.assumptions.push({ what, rule: null, assumed: true });
    r.unknownBy = {
      what,
      rule: null,
      ifTrue: outcomeText(r),
      ifFalse: tables.includes("nat") ? "a NAT or a drop the captures do not show" : "dropped by rules the captures do not show",
    };
    r.verdict = "unknown";
    return r;
  }

  /** The rule set's class of a source address (source-class.ts): equal classes, equal decisions. */
  sourceClass(src: string, facts: HostFacts): string {
    return this.sourceClasses.of(src, facts);
  }

  /** Base chains of a hook for a family, in traversal order. */
  baseChains(hook: Hook, family: 4 | 6): BaseChain[] {
    return this.bases.filter((b) => b.hook === hook && b.families.has(family));
  }

  /**
   * Walk `packet` (and, by default, its reply) through the hooks. Where a match
   * cannot be evaluated or a host fact is not known, both values are explored
   * (up to MAX_BRANCHES walks): when the outcomes differ, the verdict is
   * `unknown` and `unknownBy` names the assumption; otherwise the walk that
   * assumed every unknown match holds is reported.
   */
  trace(packet: Packet, facts: HostFacts, options: TraceOptions = {}): EngineTraceResult {
    const base = this.traceOnce(packet, facts, options, []);
    if (options.explore === false || base.chooser.points.length === 0) return this.markUncaptured(base.result, base.uncaptured);
    const firstSig = (r: EngineTraceResult): string => `${r.verdict}|${r.finalDst.addr}|${r.finalDst.port}|${r.finalSrc.addr}|${r.finalSrc.port}|${r.route}|${r.outIface}`;
    const baseFirst = firstSig(base.result);
    const baseReply = base.result.reply?.verdict ?? "-";
    let runs = 1;
    let capped = false;
    let firstDecider: { point: Assumption; flipped: EngineTraceResult } | null = null;
    let replyDecider: { point: Assumption; flipped: EngineTraceResult } | null = null;
    // depth-first over the decisions: each walk flips one decision after the prefix it shares with its parent
    const explore = (prefix: boolean[], points: Assumption[], from: number): void => {
      for (let i = from; i < points.length; i++) {
        if (runs >= MAX_BRANCHES) {
          capped = true;
          return;
        }
        const script = [...prefix, ...points.slice(prefix.length, i).map((p) => p.assumed), !points[i]!.assumed];
        runs++;
        const t = this.traceOnce(packet, facts, options, script);
        if (firstSig(t.result) !== baseFirst) firstDecider ??= { point: points[i]!, flipped: t.result };
        else if ((t.result.reply?.verdict ?? "-") !== baseReply) replyDecider ??= { point: points[i]!, flipped: t.result };
        explore(script, t.chooser.points, i + 1);
      }
    };
    explore([], base.chooser.points, 0);
    const r = base.result;
    if (capped) r.branchesCapped = runs;
    const d = (firstDecider ?? replyDecider) as { point: Assumption; flipped: EngineTraceResult } | null;
    if (d !== null) {
      r.unknownBy = {
        what: d.point.what,
        rule: d.point.rule,
        ifTrue: outcomeText(d.point.assumed ? base.result : d.flipped),
        ifFalse: outcomeText(d.point.assumed ? d.flipped : base.result),
      };
      if (firstDecider !== null) r.verdict = "unknown";
      else if (r.reply) r.reply.verdict = "unknown";
    }
    return this.markUncaptured(r, base.uncaptured);
  }

  private traceOnce(packet: Packet, facts: HostFacts, options: TraceOptions, script: boolean[]): { result: EngineTraceResult; chooser: Chooser; uncaptured: { family: 4 | 6; table: CoveredTable; hook: Hook }[] } {
    const chooser = new Chooser(script);
    const uncaptured: { family: 4 | 6; table: CoveredTable; hook: Hook }[] = [];
    const src = normalizeAddr(packet.src) ?? packet.src;
    const dst = normalizeAddr(packet.dst) ?? packet.dst;
    const local = packet.inIface === null;
    const p: PacketState = {
      family: packet.family,
      proto: normProto(packet.proto),
      src,
      sport: packet.sport,
      dst,
      dport: packet.dport,
      inIface: packet.inIface,
      mark: 0,
      dnatDone: false,
      snatDone: false,
      ct: "new",
      reply: false,
      conn: { src, sport: packet.sport, dst, dport: packet.dport, dnat: false, snat: false },
    };
    const result: EngineTraceResult = {
      steps: [],
      dnat: null,
      snat: null,
      route: "forward",
      outIface: null,
      verdict: "accept",
      dropBy: null,
      uncertain: [],
      locallyGenerated: local,
      finalDst: { addr: dst, port: packet.dport },
      finalSrc: { addr: src, port: packet.sport },
      untracked: false,
      reply: null,
      assumptions: chooser.points,
      unknownBy: null,
      branchesCapped: null,
    };
    const walk = this.walk(p, facts, result, chooser, options.host ?? {}, uncaptured);
    result.route = walk.local ? "local" : "forward";
    result.outIface = walk.outIface;
    result.finalDst = { addr: p.dst, port: p.dport };
    result.finalSrc = { addr: p.src, port: p.sport };
    result.untracked = p.ct === "untracked";
    if (walk.verdict !== "accept") {
      result.verdict = walk.verdict;
      return { result, chooser, uncaptured };
    }
    if (options.reply === false) return { result, chooser, uncaptured };

    // the reply: from where the first packet went back to where it came from
    let replyDst = p.src;
    if (result.snat?.masquerade) {
      const m = walk.outIface ? primaryAddr(facts, walk.outIface, p.family) : null;
      if (m) replyDst = m;
    }
    const untracked = p.ct === "untracked";
    const q: PacketState = {
      family: p.family,
      proto: p.proto,
      src: p.dst,
      sport: p.dport,
      dst: replyDst,
      dport: p.sport,
      // delivered locally: the host answers; otherwise the reply comes back in the way the packet went out
      inIface: walk.local ? (local ? "lo" : null) : (walk.outIface ?? ""),
      mark: 0,
      dnatDone: !untracked,
      snatDone: !untracked,
      // an untracked first packet leaves nothing for the reply to match: UDP starts a new entry, a lone SYN-ACK is invalid
      ct: untracked ? (p.proto === "udp" ? "new" : "invalid") : "established",
      reply: !untracked,
      conn: { ...p.conn, src, sport: packet.sport, dnat: p.conn.dnat, snat: p.conn.snat },
    };
    if (walk.local && local) {
      // both ends are on the host: the reply is sent by the host and loops back on lo
      q.inIface = null;
    }
    const rr: EngineTraceResult = {
      ...result,
      steps: [],
      dnat: null,
      snat: null,
      dropBy: null,
      verdict: "accept",
      uncertain: result.uncertain,
      locallyGenerated: q.inIface === null,
      assumptions: chooser.points,
    };
    const start = { src: { addr: q.src, port: q.sport }, dst: { addr: q.dst, port: q.dport } };
    const back = this.walk(q, facts, rr, chooser, options.host ?? {}, uncaptured);
    result.reply = {
      steps: rr.steps,
      verdict: back.verdict,
      dropBy: rr.dropBy,
      src: start.src,
      dst: start.dst,
      inIface: q.inIface === null ? null : q.inIface,
      outIface: back.local ? null : back.outIface,
    };
    return { result, chooser, uncaptured };
  }

  /** One packet through the hooks: arriving (inIface set) or generated by the host (inIface null). */
  private walk(
    p: PacketState,
    facts: HostFacts,
    result: EngineTraceResult,
    chooser: Chooser,
    host: HostState,
    uncaptured: { family: 4 | 6; table: CoveredTable; hook: Hook }[],
  ): { verdict: ChainVerdict; local: boolean; outIface: string | null } {
    const runHook = (hook: Hook, fixedOut: string | null, natAllowed = true): ChainVerdict => {
      for (const table of this.uncaptured(hook, p.family)) {
        // nat runs for the first packet of a connection only
        if (table === "nat" && (!natAllowed || p.reply || p.ct === "untracked" || p.ct === "invalid")) continue;
        if (!uncaptured.some((u) => u.table === table && u.hook === hook && u.family === p.family)) uncaptured.push({ family: p.family, table, hook });
      }
      let denatDone = false;
      const natPoint = hook === "prerouting" || hook === "output" ? -100 : 100;
      const denat = (): void => {
        if (denatDone || !p.reply) return;
        denatDone = true;
        if (natPoint < 0 && p.conn.snat) {
          // de-SNAT: the reply goes back to the original source
          p.dst = p.conn.src;
          p.dport = p.conn.sport;
        } else if (natPoint > 0 && p.conn.dnat) {
          // de-DNAT: the reply comes from the address the client dialled
          p.src = p.conn.dst;
          p.sport = p.conn.dport;
        }
      };
      let bases = this.baseChains(hook, p.family);
      if (natAllowed && !p.reply) bases = this.natOrder.order(bases, hook, chooser);
      for (const base of bases) {
        if (base.priority >= natPoint) denat();
        // OUTPUT: the route (and so the out-interface) is looked up again after a nat OUTPUT rewrite
        const outIface = hook === "output" ? (route(p.dst, p.family, facts, true).iface ?? "") : fixedOut;
        if (base.type === "nat") {
          if (!natAllowed || p.reply) continue;
          if (p.ct === "untracked" || p.ct === "invalid") {
            result.steps.push(step(base, hook, null, `skipped: nat chains do not see ${p.ct} packets`));
            continue;
          }
          const dstHook = hook === "prerouting" || hook === "output";
          if ((dstHook && p.dnatDone) || (!dstHook && p.snatDone)) {
            result.steps.push(step(base, hook, null, "skipped: NAT already set up for this connection by an earlier nat chain"));
            continue;
          }
        }
        const v = this.runBase(base, { p, facts, hook, outIface, result, base, chooser });
        if (v !== "accept") return v;
      }
      denat();
      return "accept";
    };
    const drop = (what: string, why: string): ChainVerdict => {
      result.uncertain.push(why);
      result.steps.push({ hook: "other", table: "-", chain: "routing", rule: null, action: `dropped: ${what}`, netfilterHook: "routing" });
      result.dropBy = { rule: null, table: "routing", chain: what };
      return "drop";
    };
    /** A fact the captures may not show: its captured value, or an assumption. */
    const hostFact = (map: Record<string, boolean> | undefined, key: string, what: string, assumed: string): boolean => {
      // route_localnet counts when on for the interface or for `all`
      if (map) return (map[key] ?? false) || (map["all"] ?? false);
      return chooser.choose(`${what} (not captured; ${assumed})`, null);
    };

    if (p.inIface !== null) {
      const arrivedOn = p.inIface;
      const v = runHook("prerouting", "");
      if (v !== "accept") return { verdict: v, local: false, outIface: null };
      const r = route(p.dst, p.family, facts, false);
      if (p.family === 4 && isLoopback(p.dst) && arrivedOn !== "lo") {
        // a packet from outside for 127/8 (e.g. DNAT to a loopback address) is a martian unless route_localnet is on
        if (!hostFact(host.routeLocalnet, arrivedOn, `${confKey(arrivedOn, "route_localnet")}=1`, "assumed 1")) {
          return { verdict: drop("martian destination", `${p.dst} arrived on ${ifaceText(arrivedOn)}: a martian destination, dropped with route_localnet=0`), local: r.local, outIface: null };
        }
      }
      if (r.local) {
        const vi = runHook("input", "");
        return { verdict: vi, local: true, outIface: null };
      }
      if (r.iface === null) result.uncertain.push(`no route known for ${p.dst} (no default route in the inputs): out-interface unknown`);
      const vf = runHook("forward", r.iface ?? "");
      if (vf !== "accept") return { verdict: vf, local: false, outIface: r.iface };
      const vp = runHook("postrouting", r.iface ?? "");
      if (vp !== "accept") return { verdict: vp, local: false, outIface: r.iface };
      if (!p.reply && r.iface !== null && r.iface === arrivedOn && p.dst === p.conn.src) {
        // back out of the bridge port it came in by: only with hairpin_mode on that port
        if (!hostFact(host.hairpin, r.iface, `hairpin_mode on the ${r.iface} port of ${p.conn.src}`, "Docker sets it with the userland proxy off")) {
          return { verdict: drop("hairpin", `${p.conn.src} reaches itself through ${r.iface}: dropped by the bridge with hairpin_mode=0`), local: false, outIface: r.iface };
        }
      }
      return { verdict: "accept", local: false, outIface: r.iface };
    }

    // locally generated
    const before = route(p.dst, p.family, facts, true);
    const vo = runHook("output", before.iface ?? "");
    if (vo !== "accept") return { verdict: vo, local: before.local, outIface: before.iface };
    const r = route(p.dst, p.family, facts, true);
    if (!r.local && r.iface === null) result.uncertain.push(`no route known for ${p.dst} (no default route in the inputs): out-interface unknown`);
    if (!r.local && r.iface !== null && r.iface !== "lo" && p.family === 4 && isLoopback(p.src)) {
      // a loopback source may leave the host only where route_localnet is on
      if (!hostFact(host.routeLocalnet, r.iface, `${confKey(r.iface, "route_localnet")}=1`, "assumed 1, as Docker sets it with the userland proxy off")) {
        return { verdict: drop("martian source", `${p.src} cannot leave by ${r.iface} with route_localnet=0`), local: false, outIface: r.iface };
      }
    }
    if (!r.local && r.iface !== null && r.iface !== "lo" && p.family === 6 && isLoopback(p.src)) {
      return { verdict: drop("martian source", `${p.src} never leaves the host (IPv6 has no route_localnet)`), local: false, outIface: r.iface };
    }
    const vp = runHook("postrouting", r.iface ?? "");
    if (vp !== "accept") return { verdict: vp, local: r.local, outIface: r.iface };
    if (r.local) {
      // looped back on lo: PREROUTING and INPUT again, nat already decided
      p.inIface = r.iface ?? "lo";
      const v1 = runHook("prerouting", "", false);
      if (v1 !== "accept") return { verdict: v1, local: true, outIface: r.iface };
      const v2 = runHook("input", "", false);
      return { verdict: v2, local: true, outIface: r.iface };
    }
    return { verdict: "accept", local: false, outIface: r.iface };
  }

  private runBase(base: BaseChain, ctx: Ctx): ChainVerdict {
    const { result } = ctx;
    const stack: Frame[] = [{ chain: base.chain, idx: 0 }];
    let budget = MAX_STEPS;
    const policy = (): ChainVerdict => {
      result.steps.push(step(base, ctx.hook, null, `policy ${base.policy}`));
      if (base.policy === "DROP") {
        result.dropBy = { rule: null, table: base.chain.table, chain: base.chain.name };
        return "drop";
      }
      return "accept";
    };
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.chain.index) {
        // Jump over rules that cannot match this packet; each still costs one step of the budget.
        const { p } = ctx;
        const next = nextCandidate(top.chain.index, top.chain.rules.length, top.idx, p.src, p.dst, p.dport);
        const skipped = next - top.idx;
        if (skipped > 0) {
          if (budget - skipped <= 0) {
            result.uncertain.push(`${base.chain.table} ${base.chain.name}: evaluation stopped after ${MAX_STEPS} rules (jump loop?); assumed ACCEPT`);
            return "accept";
          }
          budget -= skipped;
          top.idx = next;
        }
      }
      if (--budget <= 0) {
        result.uncertain.push(`${base.chain.table} ${base.chain.name}: evaluation stopped after ${MAX_STEPS} rules (jump loop?); assumed ACCEPT`);
        return "accept";
      }
      const frame = stack[stack.length - 1]!;
      const rule = frame.chain.rules[frame.idx++];
      if (!rule) {
        stack.pop();
        if (stack.length === 0) return policy();
        result.steps.push({ ...step(base, ctx.hook, null, `end of ${frame.chain.name}, return`), chain: frame.chain.name });
        continue;
      }
      const unknown: string[] = [];
      if (!ruleMatches(rule, ctx, unknown)) continue;
      for (const u of unknown) result.uncertain.push(`${where(rule)}: ${u}`);
      const st = (action: string): void => {
        result.steps.push({ ...step(base, ctx.hook, rule, action), chain: rule.chain });
      };
      if (rule.format === "nft" && rule.matches.other.includes("notrack")) notrack(rule, base, ctx, st);
      const target = rule.target;
      const vmap = vmapTarget(rule, ctx);
      if (vmap !== undefined) {
        if (vmap === null) {
          st("verdict map: no element for this packet, continue");
          continue;
        }
        const sub = applyVerdict(this.chains, vmap.verdict, vmap.target, vmap.goto, rule, base, ctx, stack, st);
        if (sub !== null) return sub;
        continue;
      }
      if (target === null) {
        if (rule.targetArgs.some((a) => a.startsWith("xt target ?"))) {
          result.uncertain.push(`${where(rule)}: the rule's action was not printed by nft (iptables-nft xt target); assumed to continue`);
          st("unknown action (not printed by nft), continue");
        } else if (rule.targetArgs.length > 0 && !rule.targetArgs.every((a) => a === "continue")) {
          st(`${rule.targetArgs.join(" ")}, continue`);
        }
        continue;
      }
      const upper = target.toUpperCase();
      if (FINAL_TARGETS.has(upper) || CONTINUE_TARGETS.has(upper)) {
        const v = applyTarget(upper, rule, base, ctx, stack, st);
        if (v !== null) return v;
        continue;
      }
      // a jump or goto to a chain of the same table
      const sub = applyVerdict(this.chains, "jump", target, rule.goto, rule, base, ctx, stack, st);
      if (sub !== null) return sub;
    }
    return policy();
  }
}
