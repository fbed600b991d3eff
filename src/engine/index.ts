/**
 * The rule engine: walk the first packet of a NEW connection through the
 * netfilter hooks, on rules parsed from iptables-save / iptables -S,
 * iptables -L listings or nft rulesets.
 *
 *   types.ts        the contract (Packet, HostFacts, TraceResult, ...)
 *   chains.ts       chain assembly and base chains per hook, by priority
 *   chain-index.ts  the long-chain index (skip rules that cannot match)
 *   traversal.ts    RuleSet: hooks, routing points, the walk of a base chain
 *   matches.ts      rule matches
 *   targets.ts      targets, verdicts, jumps, NAT
 *   routing.ts      local / broadcast addresses, the routing decision
 *   state.ts        the packet and trace a walk carries
 */
export type { EngineTraceResult, EngineTraceStep, HostFacts, HostState, Hook, InterfaceFacts, Packet, ReplyTrace, TraceOptions, TraceResult, TraceStep } from "./types.js";
export { parsePriority } from "./chains.js";
export { ifaceMatches } from "./matches.js";
export { isLocal, route } from "./routing.js";
export { RuleSet, type RuleSetOptions } from "./traversal.js";
export { tableCoverage, COVERED_TABLES, type TableCoverage, type TableFact, type TableState } from "./coverage.js";
