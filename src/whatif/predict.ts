/**
 * The what-if stage: for every explained flow, trace its first packet (and the
 * reply) through the rule set dockerd would program with the userland proxy
 * toggled (derive.ts), with the host's kernel facts (facts.ts), and say what
 * would happen: `works` (by which path, and what the container would see as
 * the client), `breaks` (refused or dropped, by what) or `unknown` (a fact the
 * bundle does not hold decides: named). A flow that is not to a published
 * port keeps its path: the proxy setting does not touch it.
 */
import { RuleSet, type EngineTraceResult, type HostState, type Packet } from "../engine/index.js";
import { primaryAddr } from "../engine/routing.js";
import { reachUnreachedChains } from "../engine/unreached.js";
import type { Endpoint, Flow, PathDetail } from "../analyze/flow-types.js";
import { ev, type Binding, type Evidence, type HostModel } from "../analyze/model.js";
import { UDP_REPLY_ELSEWHERE } from "../analyze/flow-proxy.js";
import { endpoint, familyOf, inCidr, isLoopback } from "../net/index.js";
import type { RuleRecord } from "../types.js";
import { bridgeName, deriveRules, type Change, type Derivation } from "./derive.js";
import { atLeast, MISSING, readFacts, type WhatIfFacts } from "./facts.js";

export type WhatIfOutcome = "works" | "breaks" | "unknown";
/** Why a flow would break, for the host verdict's groups. */
export type BreakCause = "ipv6-loopback" | "ipv6-no-nat" | "isolation" | "hairpin" | "no-route-localnet" | "no-nat" | "udp-reply" | "other";

export const CAUSE_TEXT: Record<BreakCause, string> = {
  "ipv6-loopback": "IPv6 loopback",
  "ipv6-no-nat": "IPv6 without NAT",
  isolation: "isolation",
  hairpin: "hairpin",
  "no-route-localnet": "no route_localnet",
  "no-nat": "no NAT rule",
  "udp-reply": "UDP answers from another address",
  other: "dropped by the rules",
};

/** A flow's what-if (`flows[].whatIf`, docs/schema.md). */
export interface FlowWhatIf {
  change: Change;
  outcome: WhatIfOutcome;
  /** Whether the connection works today (open or closed after working) or failed. */
  today: "works" | "fails";
  /** The path it would take; `none` when it would not reach the container. */
  path: PathDetail | "none";
  /** The peer the container would see; null when it would not get there. */
  clientSeen: Endpoint | null;
  /** For `breaks`: the group of the host verdict. */
  cause: BreakCause | null;
  /** For `unknown`: the fact that decides, and what is missing from the bundle to know it. */
  assumption: string | null;
  missing: string | null;
  why: string;
  evidence: Evidence[];
}

const where = (r: RuleRecord) => `${r.source.file}:${r.source.line}`;

function ruleEv(r: RuleRecord, note: string): Evidence {
  return ev(r.source, note, r.text);
}

class Predictor {
  private readonly facts: WhatIfFacts;
  private readonly derivation: Derivation;
  private readonly ruleset: RuleSet | null;
  private readonly changeOf = new Map<RuleRecord, Derivation["changes"][number]>();
  private readonly host: HostState;
  /** Evidence and words for the kernel facts the host state rests on. */
  private readonly hostNotes: { evidence: Evidence[]; localnet: string; hairpin: string };
  private readonly off: boolean;
  private readonly missingOfAssumption = new Map<string, string>();
  /** Chains of a partial dump entered as Docker enters them (engine/unreached.ts): said in every answer through the rules. */
  private readonly assumedChains: string[];

  constructor(
    private readonly m: HostModel,
    private readonly change: Change,
  ) {
    this.off = change === "userland-proxy=false";
    this.facts = readFacts(m);
    this.derivation = deriveRules(m, this.facts, change);
    for (const c of this.derivation.changes) if (c.rule) this.changeOf.set(c.rule, c);
    // as the analysis does (explain.ts): the model's chains tell nft base chains (hook, priority) from
    // chains a partial dump holds alone, and the base chains assumed for the latter go to the engine too
    const reach = reachUnreachedChains(this.derivation.rules, m.chains);
    this.assumedChains = reach.assumed;
    this.ruleset = m.firewall.value === "none" ? null : new RuleSet(reach.rules, reach.chains, { coverage: m.tableCoverage });
    const { host, notes } = this.hostState();
    this.host = host;
    this.hostNotes = notes;
  }

  /** route_localnet and hairpin_mode as they would be: Docker sets both with the proxy off, where the kernel has them. */
  private hostState(): { host: HostState; notes: { evidence: Evidence[]; localnet: string; hairpin: string } } {
    const bridges = this.m.bridges.map((b) => b.name);
    const evidence: Evidence[] = [];
    if (this.off) {
      const k = this.facts.kernel;
      if (!k) {
        this.missingOfAssumption.set("route_localnet", MISSING.kernel);
        this.missingOfAssumption.set("hairpin_mode", MISSING.kernel);
        return { host: {}, notes: { evidence, localnet: "", hairpin: "" } };
      }
      const v = k.value.split(/[.-]/).map(Number);
      const has = atLeast([v[0] ?? 0, v[1] ?? 0, 0], [3, 6, 0]);
      evidence.push(k.evidence);
      const all = (on: boolean) => Object.fromEntries(bridges.map((b) => [b, on]));
      return {
        host: { routeLocalnet: all(has), hairpin: all(has) },
        notes: {
          evidence,
          localnet: has ? `route_localnet=1 on the bridge, which dockerd sets with the proxy off (kernel ${k.value} has it)` : `kernel ${k.value} predates route_localnet (3.6)`,
          hairpin: has ? `hairpin_mode=1 on the container's bridge port, which dockerd sets with the proxy off (kernel ${k.value})` : `kernel ${k.value} is older than 3.6`,
        },
      };
    }
    // the proxy back on: the host's facts as captured
    const host: HostState = {};
    if (this.facts.routeLocalnet.size) host.routeLocalnet = Object.fromEntries([...this.facts.routeLocalnet].map(([i, x]) => [i, x.value]));
    else this.missingOfAssumption.set("route_localnet", "route_localnet (sysctl)");
    if (this.facts.hairpin.size) host.hairpin = Object.fromEntries([...this.facts.hairpin].map(([b, ports]) => [b, ports.every((p) => p.value)]));
    else this.missingOfAssumption.set("hairpin_mode", "hairpin_mode (/sys/class/net/*/brif/*/hairpin_mode)");
    return { host, notes: { evidence, localnet: "", hairpin: "" } };
  }

  private inIface(f: Flow, family: 4 | 6): string | null {
    if (f.client.kind === "host") return null;
    const c = f.client.container ? this.m.containers.find((x) => x.name === f.client.container) : undefined;
    if (c?.hostNetwork) return null;
    const facts = this.m.engineFacts[family];
    return bridgeName(this.m, f.client.ip) ?? facts.interfaces.find((i) => i.name !== "lo" && i.subnets.some((s) => inCidr(f.client.ip, s) === true))?.name ?? facts.defaultIface ?? "eth0";
  }

  /** The published binding a packet delivered to the host itself would hit. */
  private bindingAt(proto: string, addr: string, port: number | null): Binding | undefined {
    const fam = familyOf(addr);
    return this.m.bindings.find((b) => b.proto === proto && b.hostPort === port && (b.hostIp === null ? b.hostFamily === null || b.hostFamily === fam : b.hostIp === addr));
  }

  predict(f: Flow): FlowWhatIf {
    // a UDP sender whose answers docker-proxy sends from another address gets none: it does not work today
    const today = f.outcome === "failed" || f.evidence.some((e) => e.note === UDP_REPLY_ELSEWHERE) ? "fails" : "works";
    const base = { change: this.change, today, cause: null, assumption: null, missing: null } as const;
    const dialled: Endpoint | null = f.published ?? (f.container ? { ip: f.container.ip, port: f.container.port } : null);
    const unknown = (why: string, assumption: string, missing: string | null, evidence: Evidence[] = []): FlowWhatIf => ({ ...base, outcome: "unknown", path: f.pathDetail, clientSeen: null, assumption, missing, why, evidence });
    if (!dialled || dialled.port === null || f.client.port === null || f.client.kind === "unknown") {
      return unknown("the flow's client or the address it dialled is not known, so its packet cannot be traced", "the flow's client and destination", null);
    }
    const family = familyOf(dialled.ip);
    const toPublished = f.published !== null;
    if (!toPublished) {
      // the client dialled a container (or a host-network listener) itself: no published port, nothing the proxy setting changes
      return { ...base, outcome: today === "works" ? "works" : "breaks", cause: today === "works" ? null : "other", path: f.pathDetail, clientSeen: f.containerSees, why: `${today === "works" ? "unchanged" : "fails today, and still would"}: ${f.client.ip} dialled ${endpoint(dialled.ip, dialled.port)} itself, not a published port; the userland-proxy setting does not touch this path`, evidence: [] };
    }
    if (familyOf(f.client.ip) !== family) return unknown(`the client (${f.client.ip}) and the address it dialled (${dialled.ip}) are of different families`, "the packet's address family", null);
    if (this.derivation.unsupported) return unknown(this.derivation.unsupported, "Docker's nftables rules with the proxy toggled", null);
    if (!this.ruleset) return unknown("the bundle holds no firewall rule dump, so the rules dockerd would program cannot be derived", "the host's firewall rules", "the firewall rules (iptables-save -c, ip6tables-save -c)");
    const packet: Packet = { family, proto: f.proto, src: f.client.ip, sport: f.client.port, dst: dialled.ip, dport: dialled.port, inIface: this.inIface(f, family) };
    let t: EngineTraceResult;
    try {
      t = this.ruleset.trace(packet, this.m.engineFacts[family], { reply: true, host: this.host });
    } catch {
      return unknown("the rule engine could not trace this packet", "the rule engine's trace", null);
    }
    return this.judge(f, packet, t, base);
  }

  private evidenceOf(t: EngineTraceResult, packet: Packet): Evidence[] {
    const out: Evidence[] = [];
    const seen = new Set<Derivation["changes"][number]>();
    for (const s of [...t.steps, ...(t.reply?.steps ?? [])]) {
      const c = s.rule ? this.changeOf.get(s.rule) : undefined;
      if (c && !seen.has(c)) {
        seen.add(c);
        const how = c.rule!.text === c.from.text ? "" : c.rule!.source === c.from.source && c.rule!.chain === c.from.chain && c.rule!.position === c.from.position ? `, this rule becomes \`${c.rule!.text}\`` : `, dockerd adds \`${c.rule!.text}\` next to this rule`;
        out.push(ev(c.from.source, `${this.change}: ${c.what}${how}`));
      }
    }
    // rules that go do not show in the walk: SKIP DNAT for the client's bridge
    for (const c of this.derivation.changes) {
      if (!c.rule && packet.inIface !== null && c.from.matches.inIface?.value === packet.inIface && c.from.target === "RETURN" && !seen.has(c)) {
        seen.add(c);
        out.push(ev(c.from.source, `${this.change}: this rule goes: ${c.what}`));
      }
    }
    return out;
  }

  private judge(f: Flow, packet: Packet, t: EngineTraceResult, base: Pick<FlowWhatIf, "change" | "today" | "cause" | "assumption" | "missing">): FlowWhatIf {
    const evidence = this.evidenceOf(t, packet);
    const to = endpoint(packet.dst, packet.dport);
    const lead = `${f.client.kind === "host" ? "a host process" : f.client.container ? `container ${f.client.container}` : `${f.client.kind} client ${f.client.ip}`} dialling ${to}`;
    const chg = this.off ? "with userland-proxy=false" : "with userland-proxy=true";
    const dnatText = t.dnat ? `DNATed to ${endpoint(t.dnat.addr, t.dnat.port)} (${where(t.dnat.rule)})` : "not DNATed";
    const u = t.unknownBy ?? null;
    if (t.verdict === "unknown" || t.reply?.verdict === "unknown") {
      const what = u?.what ?? "an assumption of the trace";
      const missing = [...this.missingOfAssumption].find(([k]) => what.includes(k))?.[1] ?? null;
      if (u?.rule) evidence.push(ruleEv(u.rule, "the rule whose match decides"));
      return { ...base, outcome: "unknown", path: t.dnat ? "dnat" : f.pathDetail, clientSeen: null, assumption: what, missing, why: `${chg}, ${lead} is ${dnatText}; whether it gets through depends on ${what} (if it holds: ${u?.ifTrue ?? "?"}; if not: ${u?.ifFalse ?? "?"})`, evidence };
    }
    const linger = this.derivation.lingering;
    const noteList = [...this.derivation.notes];
    if (linger.length && packet.inIface === null && t.dnat && !isLoopback(packet.dst)) {
      noteList.push(`Docker ${this.facts.docker!.value.join(".")} leaves its \`-o ${linger.join("`/`-o ")} -m addrtype --src-type LOCAL -j MASQUERADE\` rules in place until the nat table is flushed (fixed in 23.0, moby#44721); until then ${this.m.byIp.get(t.finalDst.addr)?.container.name ?? "the container"} still sees the gateway for this host client`);
    }
    const notes = noteList.length ? `. Note: ${noteList.join("; ")}` : "";
    const assumed = [...this.assumedChains, ...t.assumptions.filter((a) => a.rule === null).map((a) => a.what)];
    const assumedText = assumed.length ? ` (assumed: ${assumed.join("; ")})` : "";
    if (t.verdict !== "accept" || (t.reply && t.reply.verdict !== "accept")) {
      const first = t.verdict !== "accept";
      const drop = first ? t.dropBy : (t.reply?.dropBy ?? null);
      let cause: BreakCause = "other";
      const chain = drop?.chain ?? "";
      if (drop?.table === "routing" && /martian source/.test(chain)) cause = family(packet) === 6 ? "ipv6-loopback" : "no-route-localnet";
      else if (drop?.table === "routing" && chain === "hairpin") cause = "hairpin";
      else if (/ISOLATION|INTERNAL/.test(chain) || (drop?.rule && t.outIface !== null && packet.inIface !== null && packet.inIface !== t.outIface)) cause = "isolation";
      if (drop?.rule) evidence.push(ruleEv(drop.rule, first ? "the rule that would drop it" : "the rule that would drop the reply"));
      const by = drop
        ? drop.rule
          ? `${drop.table} ${drop.chain} rule ${where(drop.rule)} \`${drop.rule.text}\``
          : cause === "ipv6-loopback"
            ? "the kernel: IPv6 has no route_localnet, so a connection from [::1] never completes to a container (the SYN may leave masqueraded, but the reply, turned back to ::1, is dropped on the bridge; lab-ipv6-noproxy shows such a client stuck in SYN_SENT)"
            : drop.table === "routing"
              ? `the kernel (${drop.chain})`
              : `the policy of ${drop.table} ${drop.chain}`
        : "the rules";
      evidence.push(...this.hostNotes.evidence);
      return { ...base, outcome: "breaks", cause, path: "none", clientSeen: null, why: `${chg}, ${lead} would be ${dnatText} and then ${first ? "" : "its reply "}${t.verdict === "reject" ? "rejected" : "dropped"} by ${by}: the connection ${t.verdict === "reject" ? "is refused" : "hangs"}${assumedText}${notes}`, evidence };
    }
    if (t.route === "local") {
      const b = this.bindingAt(f.proto, t.finalDst.addr, t.finalDst.port);
      if (!b) {
        return { ...base, outcome: base.today === "works" ? "works" : "breaks", cause: base.today === "works" ? null : "other", path: f.pathDetail, clientSeen: f.containerSees, why: `${chg}, ${lead} still reaches the host's own socket on ${endpoint(t.finalDst.addr, t.finalDst.port)}, which is not a published port: unchanged${assumedText}`, evidence };
      }
      // the docker-proxy process that serves the binding today says most, then the rule, then inspect
      const rank = (e: Evidence) => (/^docker-proxy/.test(e.note ?? "") ? 0 : e.note === "DNAT rule" ? 1 : 2);
      evidence.push(...[...b.evidence].sort((x, y) => rank(x) - rank(y)).slice(0, 2));
      if (this.off) {
        const ipv6 = packet.family === 6;
        const cause: BreakCause = ipv6 ? (isLoopback(packet.dst) ? "ipv6-loopback" : "ipv6-no-nat") : "no-nat";
        const c = b.containerIp ? this.m.byIp.get(b.containerIp) : undefined;
        const v4only = c ? !c.container.addrs.some((a) => a.family === 6) : false;
        const served = ipv6 && v4only ? `dockerd makes no [::] binding for ${c!.container.name}, which has no IPv6 address, so nothing listens there: refused` : `only dockerd's placeholder socket holds the port, which never serves it${this.placeholderHow(f.proto)}`;
        const why = `${chg}, ${lead} is ${dnatText}${ipv6 && isLoopback(packet.dst) ? " (IPv6 has no route_localnet: [::1] cannot be DNATed to a container)" : ipv6 ? " (no IPv6 NAT rule for the port)" : ""} and stays on the host, where docker-proxy no longer listens: ${served}${assumedText}${notes}`;
        return { ...base, outcome: "breaks", cause, path: "none", clientSeen: null, why, evidence };
      }
      // the proxy back on: docker-proxy listens on the binding and dials the container from its bridge's gateway
      const c = b.containerIp ? this.m.byIp.get(b.containerIp) : undefined;
      const gw = c?.addr.gateway ?? null;
      const who = b.container ?? b.containerIp ?? "the container";
      const relay = `${chg}, ${lead} is ${dnatText} and reaches docker-proxy listening on ${endpoint(b.hostIp ?? (packet.family === 6 ? "::" : "0.0.0.0"), b.hostPort)}, which dials ${who} ${b.containerIp ? `at ${endpoint(b.containerIp, b.containerPort)} ` : ""}from ${gw ?? "its bridge's gateway"}`;
      const udp = f.proto === "udp" ? this.udpReplyFrom(packet) : null;
      if (udp) {
        // docker-proxy before 28.0 answers UDP from the address the route to the client picks (moby#48571)
        const v = this.facts.docker;
        const answer = `its answers leave from ${udp.src}, the address of ${udp.iface}, the route back to the client, not from the dialled ${packet.dst}, so a client with a connected socket drops them (docker-proxy answers from the dialled address only from 28.0, moby#48571; samples/lab-udp shows it on 20.10)`;
        if (v && !atLeast(v.value, [28, 0, 0])) {
          evidence.push(v.evidence);
          return { ...base, outcome: "breaks", cause: "udp-reply", path: "docker-proxy", clientSeen: gw ? { ip: gw, port: null } : null, why: `${relay}: ${who} gets the datagrams, but ${answer}${assumedText}${notes}`, evidence };
        }
        if (!v) {
          return { ...base, outcome: "unknown", path: "docker-proxy", clientSeen: null, assumption: "docker-proxy answers UDP from the dialled address (Docker 28.0 and later)", missing: MISSING.docker, why: `${relay}; whether the client gets the answers depends on Docker's version: before 28.0 ${answer}${assumedText}${notes}`, evidence };
        }
      }
      return { ...base, outcome: "works", path: "docker-proxy", clientSeen: gw ? { ip: gw, port: null } : null, why: `${chg}, ${lead} is ${dnatText} and reaches docker-proxy listening on ${endpoint(b.hostIp ?? (packet.family === 6 ? "::" : "0.0.0.0"), b.hostPort)}, which dials ${who} ${b.containerIp ? `at ${endpoint(b.containerIp, b.containerPort)} ` : ""}from ${gw ?? "its bridge's gateway"}: ${who} sees ${gw ?? "the gateway"}, not the client${assumedText}${notes}`, evidence };
    }
    // forwarded to a container (DNAT or direct)
    const seen = this.seenAs(t, packet);
    const dst = this.m.byIp.get(t.finalDst.addr);
    const clientC = f.client.kind === "container" ? f.client.ip : null;
    let path: PathDetail = t.dnat ? "dnat" : "direct";
    if (t.dnat && clientC !== null && t.finalDst.addr === clientC) path = "hairpin-self";
    else if (t.dnat && clientC !== null && packet.inIface !== null && packet.inIface === t.outIface) path = "hairpin";
    else if (t.dnat && packet.inIface === null && t.snat) path = "host-nat";
    // a MASQUERADE to the address the packet already has (the host dialling from the gateway) changes nothing
    const snat = t.snat !== null && seen.ip !== packet.src;
    if (path === "host-nat" && !snat) path = "dnat";
    const via = snat ? `, masqueraded to ${seen.ip} (${where(t.snat!.rule)})` : "";
    const needs = path === "hairpin-self" ? this.hostNotes.hairpin : isLoopback(packet.src) && packet.inIface === null && t.outIface !== "lo" ? this.hostNotes.localnet : "";
    const hostText = needs ? `; it needs ${needs}` : "";
    let hostText2 = "";
    if (needs) evidence.push(...this.hostNotes.evidence);
    if (path === "hairpin") {
      // the reply goes from one bridge port straight to another: only br_netfilter hands it to conntrack to undo the DNAT
      const nf = this.facts.bridgeNfCall[packet.family];
      const ensured = this.off && this.facts.docker !== null && atLeast(this.facts.docker.value, [27, 4, 0]);
      if (nf) evidence.push(nf.evidence);
      if (nf && !nf.value && !ensured) {
        return { ...base, outcome: "breaks", cause: "hairpin", path: "none", clientSeen: null, why: `${chg}, ${lead} would be ${dnatText} and sent back into ${t.outIface}, but ${nf.value ? "" : "bridge-nf-call-iptables=0: "}the reply is bridged straight to ${f.client.container ?? f.client.ip} without undoing the DNAT, so the client drops it (moby#48664; Docker ensures it from 27.4)${notes}`, evidence };
      }
      if (nf?.value || ensured) hostText2 = `; the reply is bridged back to ${f.client.container ?? f.client.ip}, which works with br_netfilter (${nf?.value ? "bridge-nf-call-iptables = 1 in the capture" : "ensured by Docker from 27.4"})`;
      if (!nf && !ensured) {
        return { ...base, outcome: "unknown", path: "hairpin", clientSeen: null, assumption: `br_netfilter with bridge-nf-call-iptables=1 (the reply crosses ${t.outIface} between two containers)`, missing: MISSING.bridgeNf, why: `${chg}, ${lead} would be ${dnatText} and sent back into ${t.outIface}; it works only if bridge netfilter hands the reply to conntrack (bridge-nf-call-iptables=1, ensured by Docker from 27.4), which the bundle does not show${notes}`, evidence };
      }
    }
    const sees = dst ? `${dst.container.name} sees ${seen.ip}` : `the server sees ${seen.ip}`;
    return { ...base, outcome: "works", path, clientSeen: seen, why: `${chg}, ${lead} is ${dnatText}${via} and forwarded by ${t.outIface ?? "?"}: ${sees}${hostText}${hostText2}${assumedText}${notes}`, evidence };
  }

  /** How dockerd's placeholder treats a client, by version (samples lab*-noiptables-noproxy show both). */
  private placeholderHow(proto: string): string {
    const v = this.facts.docker?.value;
    if (!v || atLeast(v, [29, 0, 0])) return "";
    if (proto === "udp") return " (its UDP socket is bound and never read: the datagrams go unanswered)";
    return atLeast(v, [28, 0, 0])
      ? " (Docker 28 listens with backlog 0: one connection waits in its accept queue, never answered, and the kernel drops the next ones' SYNs)"
      : ` (Docker ${v.join(".")} listens and never accepts: the handshake completes and the client waits for an answer that never comes)`;
  }

  /**
   * The source address the kernel picks for a reply to this client from a socket bound to every
   * address: the address of the interface the client came in on (the route back to it), when that
   * is not the address the client dialled; null when it is, or for a host client.
   */
  private udpReplyFrom(p: Packet): { src: string; iface: string } | null {
    if (p.inIface === null) return null;
    const src = primaryAddr(this.m.engineFacts[p.family], p.inIface, p.family);
    return src && src !== p.dst ? { src, iface: p.inIface } : null;
  }

  /** The source the container sees: after SNAT, the rule's address or the out-interface's (MASQUERADE). */
  private seenAs(t: EngineTraceResult, p: Packet): Endpoint {
    if (t.snat?.masquerade && t.outIface) return { ip: primaryAddr(this.m.engineFacts[p.family], t.outIface, p.family) ?? t.finalSrc.addr, port: t.finalSrc.port };
    return { ip: t.finalSrc.addr, port: t.finalSrc.port };
  }
}

function family(p: Packet): 4 | 6 {
  return p.family;
}

/** Every flow with its what-if (new objects, `whatIf` last). */
export function predictFlows(m: HostModel, flows: readonly Flow[], change: Change): Flow[] {
  const p = new Predictor(m, change);
  return flows.map((f) => ({ ...f, whatIf: p.predict(f) }));
}
