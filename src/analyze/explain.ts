/**
 * Rule-engine explanations for attributed flows: which rule DNATed a flow,
 * why a docker-proxy flow was not DNATed (the loopback exclusion in nat
 * OUTPUT, `-A DOCKER -i <bridge> -j RETURN`, no IPv6 rule), and which rule
 * dropped a stalled connection.
 */
import { flatten } from "../strings.js";
import { RuleSet, type Packet } from "../engine/index.js";
import { reachUnreachedChains } from "../engine/unreached.js";
import type { AttributedFlow, Flow } from "./flow-types.js";
import { reasonText } from "./explain-text.js";
import { bridgeOf, ev, type Evidence, type HostModel } from "./model.js";
import { endpoint as fmt, familyOf, inCidr } from "../net/index.js";
import type { RuleRecord } from "../types.js";

const where = (r: RuleRecord) => `${r.source.file}:${r.source.line}`;

export class Explainer {
  private readonly ruleset: RuleSet | null;
  private readonly rules: RuleRecord[];
  private readonly facts: HostModel["engineFacts"];
  /** The partial-dump assumption appended to every answer the rules give; "" for a complete dump. */
  private readonly assumed: string;
  /** whyNoDnat's rule lookups, precomputed: nat jumps to DOCKER with a negated -d, by family|hook chain. */
  private readonly dockerJumps = new Map<string, RuleRecord[]>();
  /** DNAT rules with a --dport, by family; and the answer per family|port. */
  private readonly dnatWithDport = new Map<number, RuleRecord[]>();
  private readonly dnatForPortCache = new Map<string, boolean>();
  /**
   * Traces by packet with its source port left out and its source address
   * replaced by the rule set's class of it (RuleSet.sourceClass), when no rule
   * matches on a source port: the engine then reads the source port and
   * address nowhere but in finalSrc and `uncertain` notes, which explain() does
   * not use, so every field used below is the same for all packets of one key.
   * null = no rule-free guarantee, trace every flow.
   */
  private readonly traceCache: Map<string, ReturnType<RuleSet["trace"]> | null> | null;

  constructor(private readonly m: HostModel) {
    const { rules, chains } = m;
    this.rules = rules;
    for (const r of rules) {
      if (r.table === "nat" && r.target === "DOCKER" && r.matches.dst?.negated) {
        const k = `${r.family}|${r.chain}`;
        (this.dockerJumps.get(k) ?? this.dockerJumps.set(k, []).get(k)!).push(r);
      }
      if (r.target === "DNAT" && r.matches.dport) (this.dnatWithDport.get(r.family) ?? this.dnatWithDport.set(r.family, []).get(r.family)!).push(r);
    }
    // a dump of one chain (`iptables -t nat -S DOCKER`): entered as Docker enters it, said in each answer
    const reach = reachUnreachedChains(rules, chains);
    this.assumed = reach.assumed.length ? ` (assumed: ${reach.assumed.join("; ")})` : "";
    this.ruleset = rules.length ? new RuleSet(reach.rules, reach.chains, { coverage: m.tableCoverage }) : null;
    this.traceCache = rules.some((r) => r.matches.sport) ? null : new Map();
    this.facts = m.engineFacts;
  }

  /** The interface a client's packet arrives on; null for the host itself. */
  private inIface(f: AttributedFlow, family: 4 | 6): string | null {
    if (f.client.kind === "host") return null;
    const ip = f.client.ip;
    let name = this.inIfaceMemo.get(ip);
    if (name === undefined) {
      const br = bridgeOf(this.m, ip);
      const facts = this.facts[family];
      name = br?.name ?? facts.interfaces.find((i) => i.name !== "lo" && i.subnets.some((s) => inCidr(ip, s)))?.name ?? facts.defaultIface ?? "eth0";
      this.inIfaceMemo.set(ip, name);
    }
    return name;
  }
  /** inIface by client address (the family follows from the address). */
  private readonly inIfaceMemo = new Map<string, string>();

  /**
   * One flow's explanation: its reasons as text, then what the rules say about its packet.
   * `own`: the caller hands `a` over (explainOwnFlows): its evidence array becomes the flow's
   * instead of being copied.
   */
  explain(a: AttributedFlow, own = false): Flow {
    let text = a.reasons.map(reasonText).join("");
    /** What the rules add to the attribution's evidence. */
    const more: Evidence[] = [];
    let { path, pathDetail } = a;
    const t = this.ruleset ? this.traceOf(a) : null;
    if (t) {
      const { packet, result } = t;
      if (a.outcome === "failed" && result.verdict === "unknown" && result.unknownBy) {
        // never state a drop that rests on an assumption: pass the doubt on
        const u = result.unknownBy;
        text += `. Whether the rules drop it depends on ${u.what} (if it holds: ${u.ifTrue}; if not: ${u.ifFalse})`;
        if (u.rule) more.push(ev(u.rule.source, "the rule whose match decides the outcome", u.rule.text));
        if (result.dnat) more.push(ev(result.dnat.rule.source, "the DNAT rule this packet matches", result.dnat.rule.text));
      } else if (a.outcome === "failed" && result.verdict !== "accept") {
        const r = result.dropBy?.rule;
        if (r) {
          text += `. The rules ${result.dnat ? `DNAT it to ${fmt(result.dnat.addr, result.dnat.port)} and then ` : ""}drop it: ${result.dropBy!.table} ${result.dropBy!.chain} rule ${where(r)} \`${r.text}\``;
          more.push(ev(r.source, "rule that drops this packet", r.text));
        } else if (result.dropBy) text += `. The rules drop it by the policy of ${result.dropBy.table} ${result.dropBy.chain}`;
        // The path from the rules: a failed flow the attribution could not place, which the saved rules DNAT.
        if (result.dnat && path === "unknown") {
          path = "dnat";
          pathDetail = "dnat";
        }
      } else if (a.path === "dnat" && result.dnat) {
        more.push(ev(result.dnat.rule.source, "the DNAT rule this packet matches", result.dnat.rule.text));
        if (a.snat && result.snat) more.push(ev(result.snat.rule.source, "the source NAT rule", result.snat.rule.text));
      } else if (a.path === "docker-proxy") {
        const why = this.whyNoDnat(packet, result);
        if (why) {
          text += `. Not DNATed because ${why.text}`;
          if (why.rule) more.push(ev(why.rule.source, "why the packet was not DNATed", why.rule.text));
        } else if (result.dnat) {
          text += `. Note: the saved rules would DNAT this packet to ${fmt(result.dnat.addr, result.dnat.port)} (${where(result.dnat.rule)}); the connection may predate those rules`;
        }
      }
      // the rules' answer rests on the entered chain: never a plain "not NATed"
      text += this.assumed;
    }
    // Explanations and notes are built from many pieces; each is held until the
    // report is written, so flatten them (measured: 100 MB less on 108,000 flows).
    // one array of the exact size (the attribution's grew by pushes)
    const evidence = more.length ? a.evidence.concat(more) : own ? a.evidence : a.evidence.slice();
    for (const e of more) if (e.note) flatten(e.note);
    if (a.proxy) flatten(a.proxy.pairing);
    // The report's key order (natlens/analysis@1 as first published).
    return {
      outcome: a.outcome,
      path,
      pathDetail,
      snat: a.snat,
      published: a.published,
      proxy: a.proxy,
      container: a.container,
      containerSees: a.containerSees,
      confidence: a.confidence,
      explanation: flatten(text),
      evidence,
      proto: a.proto,
      state: a.state,
      client: a.client,
    };
  }

  /** The packet of a flow the rules can say something about, traced; null for the others. */
  private traceOf(f: AttributedFlow): { packet: Packet; result: ReturnType<RuleSet["trace"]> } | null {
    if (!f.published || f.published.port === null || f.client.port === null || f.client.kind === "unknown") return null;
    if (!["dnat", "docker-proxy"].includes(f.path) && f.outcome !== "failed") return null;
    const family = familyOf(f.published.ip);
    if (familyOf(f.client.ip) !== family) return null;
    const packet: Packet = { family, proto: f.proto, src: f.client.ip, sport: f.client.port, dst: f.published.ip, dport: f.published.port, inIface: this.inIface(f, family) };
    const result = this.trace(packet);
    return result ? { packet, result } : null;
  }

  /** RuleSet.trace, or null when it throws; shared between packets that differ only in source port when traceCache allows. */
  private trace(packet: Packet): ReturnType<RuleSet["trace"]> | null {
    const key = this.traceCache
      ? `${packet.family}\u0000${packet.proto}\u0000${this.ruleset!.sourceClass(packet.src, this.facts[packet.family])}\u0000${packet.dst}\u0000${packet.dport}\u0000${packet.inIface === null ? "\u0001" : packet.inIface}`
      : null;
    if (key !== null) {
      const hit = this.traceCache!.get(key);
      if (hit !== undefined) return hit;
    }
    let t: ReturnType<RuleSet["trace"]> | null;
    try {
      // the first packet only: analyze explains DNAT and drops; the reply is trace's
      t = this.ruleset!.trace(packet, this.facts[packet.family], { reply: false });
    } catch {
      t = null;
    }
    if (key !== null) {
      if (this.traceCache!.size >= 1 << 16) this.traceCache!.clear();
      this.traceCache!.set(key, t);
    }
    return t;
  }

  private whyNoDnat(p: Packet, t: ReturnType<RuleSet["trace"]>): { text: string; rule: RuleRecord | null } | null {
    if (t.dnat) return null;
    const ret = t.steps.find((s) => s.table === "nat" && s.rule && /RETURN|return/.test(s.action) && s.rule.chain !== "PREROUTING" && s.rule.chain !== "OUTPUT");
    if (ret?.rule) return { text: `nat ${ret.rule.chain} returns first: rule ${where(ret.rule)} \`${ret.rule.text}\` (SKIP DNAT for traffic from ${ret.rule.matches.inIface?.value ?? "this interface"})`, rule: ret.rule };
    const hookChain = p.inIface === null ? "OUTPUT" : "PREROUTING";
    const jump = (this.dockerJumps.get(`${p.family}|${hookChain}`) ?? []).find((r) => inCidr(p.dst, r.matches.dst!.value));
    if (jump) return { text: `nat ${hookChain} sends only other destinations to DOCKER: rule ${where(jump)} \`${jump.text}\` excludes ${p.dst}`, rule: jump };
    const portKey = `${p.family}|${p.dport}`;
    let dnatForPort = this.dnatForPortCache.get(portKey);
    if (dnatForPort === undefined) {
      dnatForPort = (this.dnatWithDport.get(p.family) ?? []).some((r) => r.matches.dport!.value.some((x) => p.dport !== null && x.from <= p.dport && p.dport <= x.to));
      this.dnatForPortCache.set(portKey, dnatForPort);
    }
    if (!dnatForPort) {
      // a nat table the bundle does not hold proves nothing: say so (docker-paths §3: [::1] is never DNATed)
      if (this.m.tableCoverage.state(p.family, "nat") === "not-captured")
        return { text: p.family === 6 && p.dst === "::1" ? "Docker's rules never DNAT [::1] (the IPv6 nat rules are not in the bundle)" : `there is no IPv${p.family} DNAT rule for port ${p.dport} in the bundle (the IPv${p.family} nat table was not captured)`, rule: null };
      return { text: `there is no IPv${p.family} DNAT rule for port ${p.dport}${p.family === 6 ? " (no ip6tables/nft ip6 rules for it)" : ""}`, rule: null };
    }
    return null;
  }
}

/**
 * The explanation stage: each attributed flow as the report's Flow, a new
 * object, its reasons turned into text and the rule engine's answer added
 * (which rule DNATed it, why a docker-proxy flow was not DNATed, which rule
 * dropped a failed one). One explicit change of a decision happens here: a
 * failed flow whose path the attribution left `unknown` becomes `dnat` when
 * the saved rules DNAT its packet.
 */
export function explainFlows(m: HostModel, flows: readonly AttributedFlow[]): Flow[] {
  const explainer = new Explainer(m);
  return flows.map((f) => explainer.explain(f));
}

/**
 * explainFlows for a caller that is done with the attributed flows (analyzeBundle):
 * each is let go as soon as its Flow is made (its reasons and the attributed object
 * become garbage while the others are explained, and its evidence array is the
 * Flow's, not copied), and `flows` is left empty. The Flows are the same as
 * explainFlows makes.
 */
export function explainOwnFlows(m: HostModel, flows: AttributedFlow[]): Flow[] {
  const explainer = new Explainer(m);
  const out: Flow[] = [];
  const held = flows as (AttributedFlow | undefined)[];
  for (let i = 0; i < held.length; i++) {
    out.push(explainer.explain(held[i]!, true));
    held[i] = undefined;
  }
  flows.length = 0;
  return out;
}
