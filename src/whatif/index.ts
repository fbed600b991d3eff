/**
 * The what-if stage (`analyze --what-if userland-proxy=false|true`), after
 * explanation: predict.ts traces every flow through the rule set dockerd would
 * program (derive.ts) with the host's kernel facts (facts.ts); verdict.ts sums
 * the predictions up for the host. Loaded only when a what-if is asked for.
 */
export { predictFlows, CAUSE_TEXT, type FlowWhatIf, type WhatIfOutcome, type BreakCause } from "./predict.js";
export { hostVerdict, type HostWhatIf } from "./verdict.js";
export { deriveRules, type Change } from "./derive.js";
export { parseWhatIf } from "./change.js";
