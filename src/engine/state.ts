/**
 * What a traversal carries: the packet as NAT and MARK change it, the hook
 * and base chain being run, the chain stack, and the trace steps written.
 */
import type { RuleRecord } from "../types.js";
import type { BaseChain, Chain } from "./chains.js";
import type { EngineTraceResult, EngineTraceStep, HostFacts, Hook, Packet, TraceStep } from "./types.js";

/** What conntrack makes of a packet: the `ct state` / `--ctstate` it matches. */
export type CtState = "new" | "established" | "untracked" | "invalid";

/** The packet as it moves through the hooks: NAT rewrites src/dst, MARK sets mark. */
export interface PacketState extends Packet {
  mark: number;
  /** This direction's NAT is set up (a nat chain translated it, or it is a reply). */
  dnatDone: boolean;
  snatDone: boolean;
  ct: CtState;
  /** The reply direction of a connection: conntrack reverses its NAT, nat chains do not run. */
  reply: boolean;
  /** The connection: its original tuple and whether it was DNATed / SNATed (ctstate DNAT, ct status, ctorig*). */
  conn: { src: string; sport: number | null; dst: string; dport: number | null; dnat: boolean; snat: boolean };
}

/** One assumption a walk made where a match or a host fact is not known: its value in this walk. */
export interface Assumption {
  what: string;
  rule: RuleRecord | null;
  assumed: boolean;
}

/**
 * Decides unknown matches and host facts: the first ones from a script (the
 * branch being explored), then `true` (the match holds / the fact is as
 * assumed); every decision is recorded.
 */
export class Chooser {
  readonly points: Assumption[] = [];
  constructor(private readonly script: readonly boolean[] = []) {}
  choose(what: string, rule: RuleRecord | null): boolean {
    const i = this.points.length;
    const v = i < this.script.length ? this.script[i]! : true;
    this.points.push({ what, rule, assumed: v });
    return v;
  }
}

export interface Ctx {
  p: PacketState;
  facts: HostFacts;
  hook: Hook;
  /** Out-interface for matching: known after routing (null = not known yet). */
  outIface: string | null;
  result: EngineTraceResult;
  base: BaseChain;
  chooser: Chooser;
}

export type ChainVerdict = "accept" | "drop" | "reject";

/** One chain being walked: the next rule to look at is `chain.rules[idx]`. */
export interface Frame {
  chain: Chain;
  idx: number;
}

export function step(base: BaseChain, hook: Hook, rule: RuleRecord | null, action: string): EngineTraceStep {
  return {
    hook: hookLabel(base, hook),
    table: base.chain.table,
    chain: base.chain.name,
    rule,
    action,
    netfilterHook: hook,
    priority: base.priority,
    family: base.chain.family,
  };
}

function hookLabel(base: BaseChain, hook: Hook): TraceStep["hook"] {
  if (base.type === "nat") {
    if (hook === "prerouting") return "nat-prerouting";
    if (hook === "output") return "nat-output";
    if (hook === "postrouting") return "nat-postrouting";
    if (hook === "input") return "nat-input";
    return "other";
  }
  const isXt = base.chain.kind === "xt";
  const table = base.chain.table;
  if ((isXt && table === "raw") || (!isXt && base.priority <= -200)) {
    if (hook === "prerouting") return "raw-prerouting";
    if (hook === "output") return "raw-output";
  }
  if ((isXt && table === "mangle") || (!isXt && base.priority < -100 && base.priority > -200)) return "mangle";
  if (hook === "input") return "filter-input";
  if (hook === "forward") return "filter-forward";
  if (hook === "output") return "filter-output";
  return "other";
}

/** `table chain rule N (file:line)`, for notes about a rule. */
export function where(rule: RuleRecord): string {
  return `${rule.table} ${rule.chain} rule ${rule.position} (${rule.source.file}:${rule.source.line})`;
}
