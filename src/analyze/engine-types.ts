/**
 * The rule engine's contract: evaluate one hypothetical packet (the first
 * packet of a new connection) through the netfilter hooks, on rules parsed
 * from iptables-save, iptables -S, iptables -L listings or nft rulesets.
 */
import type { RuleRecord } from "../types.js";

export interface Packet {
  family: 4 | 6;
  /** `tcp`, `udp`, `icmp`, ... */
  proto: string;
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  /** Interface the packet arrived on; null for a locally generated packet (OUTPUT path). */
  inIface: string | null;
}

/** What the engine needs to know about the host besides the rules. */
export interface HostFacts {
  /** Addresses that are LOCAL (addrtype / fib type local), normalised text. 127/8 and ::1 are always local. */
  localAddrs: ReadonlySet<string>;
  /** Bridges and other interfaces with their subnets, for routing decisions (which -o a packet leaves by). */
  interfaces: { name: string; subnets: string[] }[];
  /** Interface of the default route, when known (for packets to external addresses). */
  defaultIface: string | null;
}

export interface TraceStep {
  hook: "raw-prerouting" | "nat-prerouting" | "nat-output" | "filter-input" | "filter-forward" | "filter-output" | "nat-postrouting" | "nat-input" | "raw-output" | "mangle" | "other";
  table: string;
  chain: string;
  /** The rule that matched (jumped, returned or decided); null for a chain policy or a fall-through. */
  rule: RuleRecord | null;
  /** What happened: `jump DOCKER`, `return`, `DNAT to 172.17.0.2:80`, `policy ACCEPT`, `DROP`, ... */
  action: string;
}

export interface TraceResult {
  steps: TraceStep[];
  /** Destination after DNAT/REDIRECT (null when not rewritten). */
  dnat: { addr: string; port: number | null; rule: RuleRecord } | null;
  /** Source NAT in POSTROUTING (null when none). `addr` is null for MASQUERADE (the out-interface address). */
  snat: { addr: string | null; port: number | null; masquerade: boolean; rule: RuleRecord } | null;
  /** Where the packet went after the routing decision. */
  route: "local" | "forward";
  outIface: string | null;
  verdict: "accept" | "drop" | "reject";
  /** The rule (or chain policy's chain) that dropped or rejected it. */
  dropBy: { rule: RuleRecord | null; table: string; chain: string } | null;
  /** Matches the engine could not evaluate (assumed to match), as text. */
  uncertain: string[];
}
