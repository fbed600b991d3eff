/** `analyze --what-if`: the host verdict, and the flows that would break grouped by cause. */
import { hostVerdict } from "../whatif/verdict.js";
import type { Evidence } from "../analyze/model.js";
import type { FindingModule } from "./types.js";

export const meta = {
  id: "what-if",
  severity: "info",
  description: "with --what-if userland-proxy=false (or =true): whether the change is safe, which flows would break grouped by cause (IPv6 loopback, IPv6 without NAT, isolation, hairpin, no route_localnet, no NAT rule, UDP answers from another address), or what is missing to tell",
  docs: "README.md#can-i-turn-docker-proxy-off",
} as const;

export const check: FindingModule["check"] = (m, flows) => {
  const first = flows.find((f) => f.whatIf)?.whatIf;
  if (!first) return [];
  const v = hostVerdict(flows, first.change, m);
  const groups = [
    ...v.breaks.map((b) => `${b.title}: ${b.flows.map((x) => x.label).join(", ")}`),
    ...v.unknown.map((u) => `cannot tell, depends on ${u.assumption}: ${u.flows.map((x) => x.label).join(", ")}`),
    ...(v.wouldWork.length ? [`would work: ${v.wouldWork.map((x) => x.label).join(", ")}`] : []),
  ];
  const evidence: Evidence[] = [];
  for (const g of [...v.breaks, ...v.unknown]) {
    const f = flows[g.flows[0]!.flow]!;
    const e = f.whatIf!.evidence.find((x) => /drop|decides|listen|binding|publishes/.test(x.note ?? "")) ?? f.whatIf!.evidence[0];
    if (e) evidence.push(e);
  }
  return [{ order: 0, id: meta.id, severity: meta.severity, message: `what if ${v.change}: ${v.text}${groups.length ? `. ${groups.join("; ")}` : ""}`, evidence }];
};
