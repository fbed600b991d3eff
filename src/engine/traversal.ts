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
import { CACHE_MAX, inCidr, normalizeAddr } from "../net/index.js";
import type { ChainRecord, RuleRecord } from "../types.js";
import { hostAddrKey, nextCandidate } from "./chain-index.js";
import { assembleChains, type BaseChain, type Chain } from "./chains.js";
import { addrTypeMatches, normProto, ruleMatches } from "./matches.js";
import { route } from "./routing.js";
import { step, where, type ChainVerdict, type Ctx, type Frame, type PacketState } from "./state.js";
import { applyTarget, applyVerdict, CONTINUE_TARGETS, FINAL_TARGETS, vmapTarget } from "./targets.js";
import type { EngineTraceResult, HostFacts, Hook, Packet } from "./types.js";

const MAX_STEPS = 20000;

export interface RuleSetOptions {
  /**
   * Build the long-chain index (chain-index.ts) for chains of 32+ rules
   * (default true). Off, every chain is walked rule by rule: the same traces,
   * slower; the tests compare the two.
   */
  longChainIndex?: boolean;
}

export class RuleSet {
  private readonly chains: Map<string, Chain>;
  private readonly bases: BaseChain[];

  constructor(rules: RuleRecord[], chains: ChainRecord[], options: RuleSetOptions = {}) {
    const assembled = assembleChains(rules, chains, options.longChainIndex ?? true);
    this.chains = assembled.chains;
    this.bases = assembled.bases;
  }

  /** Every source match of the rule set: host addresses (a set), other CIDRs and address types (lists). */
  private srcMatches: { hosts: Set<string>; nets: string[]; types: string[] } | null = null;

  /**
   * What the rules can tell about a source address: which of their `-s` CIDRs
   * hold it and how each `--src-type` judges it. Two packets whose sources have
   * the same class (and whose other fields are equal) meet the same decision at
   * every rule, so a trace of one stands for the other (everything but the
   * source address itself in finalSrc and in `uncertain` notes). The rules read
   * the source nowhere else; after SNAT it is the rule's address for both.
   */
  sourceClass(src: string, facts: HostFacts): string {
    let memo = this.srcClassMemo.get(facts);
    if (!memo) this.srcClassMemo.set(facts, (memo = new Map()));
    let key = memo.get(src);
    if (key === undefined) {
      key = this.computeSourceClass(src, facts);
      if (memo.size >= CACHE_MAX) memo.clear();
      memo.set(src, key);
    }
    return key;
  }
  private readonly srcClassMemo = new WeakMap<HostFacts, Map<string, string>>();

  private computeSourceClass(src: string, facts: HostFacts): string {
    if (!this.srcMatches) {
      const hosts = new Set<string>();
      const nets = new Set<string>();
      const types = new Set<string>();
      for (const c of this.chains.values()) {
        for (const r of c.rules) {
          if (r.matches.srcType) types.add(r.matches.srcType.value);
          if (!r.matches.src) continue;
          const host = hostAddrKey({ value: r.matches.src.value, negated: false });
          if (host !== null) hosts.add(host);
          else nets.add(r.matches.src.value);
        }
      }
      this.srcMatches = { hosts, nets: [...nets], types: [...types] };
    }
    const { hosts, nets, types } = this.srcMatches;
    const a = normalizeAddr(src) ?? src;
    // the host address (or nothing), then one mark per CIDR, then per address type: "|" ends each part
    let key = (hosts.has(a) ? a : "") + "|";
    for (let i = 0; i < nets.length; i++) {
      const r = inCidr(a, nets[i]!);
      key += r === null ? "?" : r ? "1" : "0";
    }
    for (const t of types) {
      const { hit, note } = addrTypeMatches(t, a, facts);
      key += `|${hit ? "1" : "0"}${note ?? ""}`;
    }
    return key;
  }

  /** Base chains of a hook for a family, in traversal order. */
  baseChains(hook: Hook, family: 4 | 6): BaseChain[] {
    return this.bases.filter((b) => b.hook === hook && b.families.has(family));
  }

  trace(packet: Packet, facts: HostFacts): EngineTraceResult {
    const src = normalizeAddr(packet.src) ?? packet.src;
    const dst = normalizeAddr(packet.dst) ?? packet.dst;
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
    };
    const local = packet.inIface === null;
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
    };
    const finish = (): EngineTraceResult => {
      result.finalDst = { addr: p.dst, port: p.dport };
      result.finalSrc = { addr: p.src, port: p.sport };
      return result;
    };
    const runHook = (hook: Hook, fixedOut: string | null, natAllowed = true): boolean => {
      for (const base of this.baseChains(hook, p.family)) {
        // OUTPUT: the route (and so the out-interface) is looked up again after a nat OUTPUT rewrite
        const outIface = hook === "output" ? (route(p.dst, p.family, facts, true).iface ?? "") : fixedOut;
        if (base.type === "nat") {
          if (!natAllowed) continue;
          const dstHook = hook === "prerouting" || hook === "output";
          if ((dstHook && p.dnatDone) || (!dstHook && p.snatDone)) {
            result.steps.push(step(base, hook, null, "skipped: NAT already set up for this connection by an earlier nat chain"));
            continue;
          }
        }
        const v = this.runBase(base, { p, facts, hook, outIface, result, base });
        if (v !== "accept") {
          result.verdict = v;
          return false;
        }
      }
      return true;
    };

    if (!local) {
      if (!runHook("prerouting", "")) return finish();
      const r = route(p.dst, p.family, facts, false);
      if (r.local) {
        result.route = "local";
        result.outIface = null;
        if (!runHook("input", "")) return finish();
        return finish();
      }
      result.route = "forward";
      result.outIface = r.iface;
      if (r.iface === null) result.uncertain.push(`no route known for ${p.dst} (no default route in the inputs): out-interface unknown`);
      if (!runHook("forward", r.iface ?? "")) return finish();
      if (!runHook("postrouting", r.iface ?? "")) return finish();
      return finish();
    }

    // locally generated
    const before = route(p.dst, p.family, facts, true);
    if (!runHook("output", before.iface ?? "")) {
      result.outIface = before.iface;
      result.route = before.local ? "local" : "forward";
      return finish();
    }
    const r = route(p.dst, p.family, facts, true);
    result.outIface = r.iface;
    result.route = r.local ? "local" : "forward";
    if (!r.local && r.iface === null) result.uncertain.push(`no route known for ${p.dst} (no default route in the inputs): out-interface unknown`);
    if (!runHook("postrouting", r.iface ?? "")) return finish();
    if (r.local) {
      // looped back on lo: PREROUTING and INPUT again, nat already decided
      p.inIface = r.iface ?? "lo";
      if (!runHook("prerouting", "", false)) return finish();
      if (!runHook("input", "", false)) return finish();
    }
    return finish();
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
