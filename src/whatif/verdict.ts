/**
 * The host's what-if verdict (`whatIf` of the report, and the `what-if`
 * finding): from the flows' predictions, one line: safe to make the change,
 * N flows would break (grouped by cause), or cannot tell (missing: ...).
 */
import type { Flow } from "../analyze/flow-types.js";
import type { HostModel } from "../analyze/model.js";
import { listenersAtRisk, type AtRisk } from "./risk.js";
import { endpoint } from "../net/index.js";
import type { Change } from "./derive.js";
import { CAUSE_TEXT, type BreakCause } from "./predict.js";

export interface WhatIfFlowRef {
  /** Index of the flow in the report's `flows`. */
  flow: number;
  /** `client -> dialled (container)`, for people. */
  label: string;
}

export interface HostWhatIf {
  change: Change;
  /** `safe`: nothing that works today would break; `breaks`: some would; `unknown`: no break is certain but some flows depend on a missing fact; `no-change`: the host already runs so. */
  verdict: "safe" | "breaks" | "unknown" | "no-change";
  /** The one line the text report prints. */
  text: string;
  /** Flows that work today and would break, by cause. */
  breaks: { cause: BreakCause; title: string; flows: WhatIfFlowRef[] }[];
  /** Flows that work today whose fate depends on a fact the bundle does not hold. */
  unknown: { assumption: string; missing: string | null; flows: WhatIfFlowRef[] }[];
  /** Flows that fail today and would work. */
  wouldWork: WhatIfFlowRef[];
  /** What the bundle lacks to tell (the missing of the unknown groups), deduplicated. */
  missing: string[];
  /** Published ports docker-proxy serves today for clients the capture did not hold and no NAT rule would carry (risk.ts). */
  atRisk: AtRisk[];
  counts: { works: number; breaks: number; unknown: number };
}

function label(f: Flow): string {
  const who = f.client.container ?? (f.client.kind === "host" ? `host ${f.client.ip}` : f.client.ip);
  const to = f.published ?? (f.container ? { ip: f.container.ip, port: f.container.port } : null);
  return `${f.proto} ${who} -> ${to ? endpoint(to.ip, to.port) : "?"}${f.container ? ` (${f.container.name})` : ""}`;
}

export function hostVerdict(flows: readonly Flow[], change: Change, m: HostModel): HostWhatIf {
  const current = m.userlandProxy.value;
  const atRisk = listenersAtRisk(m, flows, change);
  const breaks = new Map<BreakCause, WhatIfFlowRef[]>();
  const unknown = new Map<string, { missing: string | null; flows: WhatIfFlowRef[] }>();
  const wouldWork: WhatIfFlowRef[] = [];
  const counts = { works: 0, breaks: 0, unknown: 0 };
  flows.forEach((f, i) => {
    const w = f.whatIf;
    if (!w) return;
    counts[w.outcome]++;
    const ref = { flow: i, label: label(f) };
    if (w.today === "works" && w.outcome === "breaks") {
      const cause = w.cause ?? "other";
      breaks.set(cause, [...(breaks.get(cause) ?? []), ref]);
    } else if (w.today === "works" && w.outcome === "unknown") {
      const k = w.assumption ?? "an assumption";
      const g = unknown.get(k) ?? { missing: w.missing, flows: [] };
      g.flows.push(ref);
      unknown.set(k, g);
    } else if (w.today === "fails" && w.outcome === "works") wouldWork.push(ref);
  });
  const breakList = [...breaks].map(([cause, fl]) => ({ cause, title: CAUSE_TEXT[cause], flows: fl }));
  const unknownList = [...unknown].map(([assumption, g]) => ({ assumption, missing: g.missing, flows: g.flows }));
  const missing = [...new Set(unknownList.map((u) => u.missing ?? u.assumption))];
  const nBreak = breakList.reduce((n, b) => n + b.flows.length, 0);
  const nUnknown = unknownList.reduce((n, u) => n + u.flows.length, 0);
  const wanted = change === "userland-proxy=false" ? "off" : "on";
  const name = change === "userland-proxy=false" ? "turn docker-proxy off" : "turn docker-proxy on";
  let verdict: HostWhatIf["verdict"];
  let text: string;
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  const served = wouldWork.length ? `; ${plural(wouldWork.length, "failing flow")} would work` : "";
  if (current === wanted) {
    verdict = "no-change";
    text = `no change: userland-proxy is already ${wanted} on this host${served}`;
  } else if (nBreak > 0) {
    verdict = "breaks";
    text = `${plural(nBreak, "flow")} would break (${breakList.map((b) => `${b.title}: ${b.flows.length}`).join(", ")})${nUnknown ? `; ${nUnknown} more cannot tell (missing: ${missing.join(", ")})` : ""}${served}`;
  } else if (nUnknown > 0) {
    verdict = "unknown";
    text = `cannot tell (missing: ${missing.join(", ")})${served}`;
  } else {
    verdict = "safe";
    text = `safe to ${name} for the flows in the capture: every one that works today would still work${served}`;
  }
  if (atRisk.length && verdict !== "no-change") text += `; beyond the capture: ${atRisk.map((a) => `${a.listener}${a.container ? ` (${a.container})` : ""}: ${a.why}`).join("; ")}`;
  return { change, verdict, text, breaks: breakList, unknown: unknownList, wouldWork, missing, atRisk, counts };
}
