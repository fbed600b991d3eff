/** The finding contract: one module per finding in src/findings/, listed in registry.ts. */
import type { Flow } from "../analyze/flow-types.js";
import type { Evidence, HostModel } from "../analyze/model.js";

export type Severity = "info" | "warning";

/** A finding as the report carries it (`natlens/analysis@1.2`, `findings[]`). */
export interface Finding {
  id: string;
  severity: Severity;
  message: string;
  evidence: Evidence[];
}

export interface FindingMeta {
  id: string;
  severity: Severity;
  /** One sentence for the findings list in README.md and docs/schema.md (generated from it). */
  description: string;
  /** Where the behaviour behind the finding is explained. */
  docs: string;
}

/**
 * What a check returns: the finding, and `order`, the position in the model of
 * what it is about (a listener, a published port), so that findings of one
 * registry group come out interleaved by subject, as the report lists them.
 */
export interface Hit extends Finding {
  order: number;
}

export interface FindingModule {
  meta: FindingMeta;
  /** Pure: the host model and the explained flows in, the findings out (none when it does not apply). */
  check(model: HostModel, flows: readonly Flow[]): Hit[];
}
