/**
 * The trace writers: the text walk (one line per chain or rule visited, then
 * the outcome) and the JSON document (`trace --to json`).
 */
import type { ChalkInstance } from "chalk";
import { jsonSafe, visible as v } from "../safe-text.js";
import type { EngineTraceResult, Packet } from "../engine/index.js";
import { ifaceText } from "../engine/routing.js";
import { addrWithPort as fmtAddrPort } from "../net/index.js";
import type { RuleRecord } from "../types.js";

/** What `traceRules` hands a writer: the packet as traced, what was assumed, notes, and the engine's answer. */
export interface TraceReport {
  packet: Packet;
  /** Assumptions made for the trace (an in-interface picked from the routes, an address taken as local). */
  assumed: string[];
  /** Notes about the inputs (rule tables left out as duplicates, no rules of the packet's family). */
  notes: string[];
  result: EngineTraceResult;
}

function ruleRef(r: RuleRecord | null): { file: string; line: number; text: string } | null {
  return r ? { file: r.source.file, line: r.source.line, text: r.text } : null;
}

/** The JSON schema id of `trace --to json` (docs/schema.md, "trace"). */
export const TRACE_SCHEMA = "natlens/trace@1";

/** Engine verdicts in the words of trace@1. */
const VERDICT_WORDS: Record<string, string> = { accept: "delivered", drop: "dropped", reject: "rejected", unknown: "unknown" };

function stepsJson(steps: EngineTraceResult["steps"]): Record<string, unknown>[] {
  return steps.map((s) => ({ hook: s.hook, table: s.table, chain: s.chain, family: s.family, priority: s.priority, rule: ruleRef(s.rule), action: s.action }));
}

/** The engine result as plain JSON values (rules as file, line and text), schema natlens/trace@1. */
export function jsonResult(r: EngineTraceResult): Record<string, unknown> {
  return {
    verdict: VERDICT_WORDS[r.verdict] ?? r.verdict,
    to: r.verdict === "accept" || r.verdict === "unknown" ? r.finalDst : null,
    from: r.verdict === "accept" || r.verdict === "unknown" ? r.finalSrc : null,
    delivery: r.route === "local" ? "local" : "forwarded",
    outIface: r.outIface,
    untracked: r.untracked,
    reply: r.reply
      ? {
          verdict: VERDICT_WORDS[r.reply.verdict] ?? r.reply.verdict,
          src: r.reply.src,
          dst: r.reply.dst,
          inIface: r.reply.inIface,
          outIface: r.reply.outIface,
          dropBy: r.reply.dropBy ? { rule: ruleRef(r.reply.dropBy.rule), table: r.reply.dropBy.table, chain: r.reply.dropBy.chain } : null,
          steps: stepsJson(r.reply.steps),
        }
      : null,
    unknownBy: r.unknownBy ? { what: r.unknownBy.what, rule: ruleRef(r.unknownBy.rule), ifTrue: r.unknownBy.ifTrue, ifFalse: r.unknownBy.ifFalse } : null,
    assumptions: r.assumptions.map((a) => ({ what: a.what, rule: ruleRef(a.rule), assumed: a.assumed })),
    branchesCapped: r.branchesCapped,
    steps: stepsJson(r.steps),
    dnat: r.dnat ? { addr: r.dnat.addr, port: r.dnat.port, rule: ruleRef(r.dnat.rule) } : null,
    snat: r.snat ? { addr: r.snat.addr, port: r.snat.port, masquerade: r.snat.masquerade, rule: ruleRef(r.snat.rule) } : null,
    route: r.route,
    dropBy: r.dropBy ? { rule: ruleRef(r.dropBy.rule), table: r.dropBy.table, chain: r.dropBy.chain } : null,
    uncertain: r.uncertain,
    locallyGenerated: r.locallyGenerated,
    finalDst: r.finalDst,
    finalSrc: r.finalSrc,
  };
}

/** `trace --to json`: the whole document, ending in a newline. */
export function writeTraceJson(t: TraceReport, write: (text: string) => void): void {
  write(`${jsonSafe(JSON.stringify({ schema: TRACE_SCHEMA, packet: t.packet, assumed: t.assumed, notes: t.notes, ...jsonResult(t.result) }, null, 2))}\n`);
}

/** `trace --to text`; `chalk` null: no colour. */
export function writeTraceText(t: TraceReport, chalk: ChalkInstance | null, write: (text: string) => void): void {
  write(formatTrace(t.packet, t.result, [...t.assumed, ...t.notes], chalk));
}

/** The rule's text without the `-A CHAIN ` prefix of iptables-save. */
function ruleText(r: RuleRecord): string {
  return v(r.text.replace(/^-A \S+ /, ""));
}

function tableLabel(s: EngineTraceResult["steps"][number]): string {
  const fam = s.family && !["iptables", "ip6tables"].includes(s.family) ? `${s.family} ` : "";
  return `${fam}${s.table}`;
}

export function formatTrace(packet: Packet, r: EngineTraceResult, notes: string[], chalk: ChalkInstance | null): string {
  // Chain names, interfaces, rule text, comments and file names come from the inputs:
  // each is made visible (safe-text.ts) before colour is added.
  const c = {
    dim: (t: string) => (chalk ? chalk.dim(v(t)) : v(t)),
    bold: (t: string) => (chalk ? chalk.bold(v(t)) : v(t)),
    red: (t: string) => (chalk ? chalk.red(v(t)) : v(t)),
    green: (t: string) => (chalk ? chalk.green(v(t)) : v(t)),
    yellow: (t: string) => (chalk ? chalk.yellow(v(t)) : v(t)),
  };
  const lines: string[] = [];
  const from = packet.inIface === null ? "generated by the host" : `in ${ifaceText(packet.inIface)}`;
  lines.push(c.bold(`${packet.proto} ${fmtAddrPort(packet.src, packet.sport)} -> ${fmtAddrPort(packet.dst, packet.dport)}, ${from}`));
  for (const n of notes) lines.push(c.dim(`  note: ${n}`));
  const w1 = Math.max(0, ...r.steps.map((s) => `${tableLabel(s)} ${s.chain}`.length));
  for (const s of r.steps) {
    const head = v(`${tableLabel(s)} ${s.chain}`.padEnd(w1));
    if (s.rule?.assumed !== undefined) {
      lines.push(`  ${head}  ${c.yellow(`assumed: jump ${s.rule.target} (${s.rule.assumed})`)}`);
    } else if (s.rule) {
      lines.push(`  ${head}  rule ${s.rule.position} ${c.dim(`(${s.rule.source.file}:${s.rule.source.line})`)}  ${ruleText(s.rule)}  → ${v(s.action)}`);
    } else {
      lines.push(`  ${head}  ${c.dim("→")} ${v(s.action)}`);
    }
  }
  if (r.reply) {
    lines.push(c.dim(`  reply ${fmtAddrPort(r.reply.src.addr, r.reply.src.port)} -> ${fmtAddrPort(r.reply.dst.addr, r.reply.dst.port)}, ${r.reply.inIface === null ? "sent by the host" : `in ${ifaceText(r.reply.inIface)}`}:`));
    const w2 = Math.max(0, ...r.reply.steps.map((s) => `${tableLabel(s)} ${s.chain}`.length));
    for (const s of r.reply.steps) {
      const head = v(`${tableLabel(s)} ${s.chain}`.padEnd(w2));
      if (s.rule?.assumed !== undefined) lines.push(`    ${head}  ${c.yellow(`assumed: jump ${s.rule.target} (${s.rule.assumed})`)}`);
      else if (s.rule) lines.push(`    ${head}  rule ${s.rule.position} ${c.dim(`(${s.rule.source.file}:${s.rule.source.line})`)}  ${ruleText(s.rule)}  → ${v(s.action)}`);
      else lines.push(`    ${head}  ${c.dim("→")} ${v(s.action)}`);
    }
  }
  lines.push("");
  lines.push(`${c.bold("outcome:")} ${outcome(r, c)}`);
  if (r.reply && r.verdict === "accept") {
    const rv = r.reply.verdict;
    if (rv === "accept") lines.push(`${c.bold("reply:")} ${c.green("passes: the connection works")}`);
    else if (rv === "unknown") lines.push(`${c.bold("reply:")} ${c.yellow("unknown")}`);
    else {
      const by = r.reply.dropBy;
      const how = rv === "reject" ? "rejected" : "dropped";
      const where = by ? (by.rule ? `${by.table} ${by.chain} rule ${by.rule.position} (${by.rule.source.file}:${by.rule.source.line}): ${ruleText(by.rule)}` : `the policy of ${by.table} ${by.chain}`) : "?";
      lines.push(`${c.bold("reply:")} ${c.red(`${how} by ${where}: the first packet gets through, the connection does not`)}`);
    }
  }
  if (r.unknownBy) {
    const u = r.unknownBy;
    lines.push(c.yellow(`unknown: ${u.what}`));
    lines.push(c.yellow(`  if it holds: ${u.ifTrue}; if not: ${u.ifFalse}`));
  }
  if (r.branchesCapped !== null) lines.push(c.yellow(`note: ${r.branchesCapped} combinations of assumptions explored, not all`));
  if (r.uncertain.length > 0) {
    lines.push(c.yellow("uncertain:"));
    for (const u of r.uncertain) lines.push(`  - ${v(u)}`);
  }
  return `${lines.join("\n")}\n`;
}

function outcome(r: EngineTraceResult, c: Record<"red" | "green", (t: string) => string>): string {
  const parts: string[] = [];
  if (r.dnat) parts.push(`${r.dnat.rule.target === "REDIRECT" ? "REDIRECT" : "DNAT"} to ${fmtAddrPort(r.dnat.addr, r.dnat.port)}`);
  else parts.push("no DNAT");
  if (r.verdict === "unknown") {
    parts.push("depends on an assumption (see unknown:)");
    return parts.join(", ");
  }
  if (r.verdict !== "accept" && r.dropBy) {
    const where = `${r.dropBy.table} ${r.dropBy.chain}`;
    const how = r.verdict === "reject" ? "rejected" : "dropped";
    if (r.dropBy.rule) {
      const rule = r.dropBy.rule;
      parts.push(c.red(`${how} by ${where} rule ${rule.position} (${rule.source.file}:${rule.source.line}): ${ruleText(rule)}`));
    } else parts.push(c.red(`${how} by the policy of ${where}`));
    return parts.join(", ");
  }
  if (r.route === "local") parts.push(r.locallyGenerated ? "delivered locally (lo)" : "delivered locally (INPUT)");
  else if (r.locallyGenerated) parts.push(`sent out ${v(r.outIface ?? "an unknown interface")}`);
  else parts.push(`forwarded out ${v(r.outIface ?? "an unknown interface")}`);
  if (r.snat) {
    if (r.snat.masquerade) parts.push(`MASQUERADE (source becomes the address of ${v(r.outIface ?? "the out-interface")})`);
    else parts.push(`SNAT to ${fmtAddrPort(r.snat.addr ?? "?", r.snat.port)}`);
  }
  parts.push(c.green("ACCEPT"));
  return parts.join(", ");
}
