/**
 * Every finding, in report order. A group's findings are about the same
 * subjects (docker-proxy listeners, published ports) and come out interleaved
 * by subject (`Hit.order`), then by their place in the group.
 */
import type { Flow } from "../analyze/flow-types.js";
import type { HostModel } from "../analyze/model.js";
import type { Finding, FindingModule } from "./types.js";
import * as userlandProxy from "./userland-proxy.js";
import * as proxyIdleDnat from "./proxy-idle-dnat.js";
import * as proxyBusy from "./proxy-busy.js";
import * as dockerdPlaceholders from "./dockerd-placeholders.js";
import * as publishedNoListener from "./published-no-listener.js";
import * as publishedNoDnat from "./published-no-dnat.js";
import * as staleDnatRule from "./stale-dnat-rule.js";
import * as missingEvidence from "./missing-evidence.js";
import * as otherEngine from "./other-engine.js";
import * as whatIf from "./what-if.js";

const GROUPS: readonly (readonly FindingModule[])[] = [
  [otherEngine],
  [userlandProxy],
  [whatIf],
  [proxyIdleDnat, proxyBusy],
  [dockerdPlaceholders],
  [publishedNoListener, publishedNoDnat],
  [staleDnatRule],
  [missingEvidence],
];

/** Every registered finding, in report order. */
export const FINDINGS: readonly FindingModule[] = GROUPS.flat();

/** The findings stage: every check over the host model and the explained flows. */
export function runFindings(model: HostModel, flows: readonly Flow[]): Finding[] {
  const out: Finding[] = [];
  for (const group of GROUPS) {
    // concatenated in group order, then stably sorted by subject
    const hits = group.flatMap((f) => f.check(model, flows));
    hits.sort((a, b) => a.order - b.order);
    for (const h of hits) out.push({ id: h.id, severity: h.severity, message: h.message, evidence: h.evidence });
  }
  return out;
}
