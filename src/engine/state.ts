/**
 * What a traversal carries: the packet as NAT and MARK change it, the hook
 * and base chain being run, the chain stack, and the trace steps written.
 */
import type { RuleRecord } from "../types.js";
import type { BaseChain, Chain } from "./chains.js";
import type { EngineTraceResult, EngineTraceStep, HostFacts, Hook, Packet, TraceStep } from "./types.js";

/** The packet as it moves through the hooks: NAT rewrites src/dst, MARK sets mark. */
export interface PacketState extends Packet {
  mark: number;
  dnatDone: boolean;
  snatDone: boolean;
}

export interface Ctx {
  p: PacketState;
  facts: HostFacts;
  hook: Hook;
  /** Out-interface for matching: known after routing (null = not known yet). */
  outIface: string | null;
  result: EngineTraceResult;
  base: BaseChain;
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
