/**
 * The stages hand data forward: the explanation stage returns new flows and
 * leaves the attribution's untouched; the only decision it changes is the
 * documented one (a failed flow of unknown path that the rules DNAT).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { loadBundle } from "../src/analyze/bundle.js";
import { buildModel } from "../src/analyze/model.js";
import { attribute } from "../src/analyze/flows.js";
import { explainFlows, explainOwnFlows } from "../src/analyze/explain.js";

const samples = readdirSync("samples").filter((d) => existsSync(path.join("samples", d, "EXPECTED.json"))).sort();

for (const s of samples) {
  test(`${s}: explain returns new flows and changes no attribution`, async () => {
    const model = buildModel(await loadBundle([path.join("samples", s)], { netnsOverrides: new Map() }));
    const attributed = attribute(model);
    const before = structuredClone(attributed);
    const flows = explainFlows(model, attributed);
    assert.deepEqual(attributed, before, "the attributed flows were changed");
    assert.equal(flows.length, attributed.length);
    flows.forEach((f, i) => {
      const a = attributed[i]!;
      assert.notEqual(f, a);
      assert.notEqual(f.evidence, a.evidence);
      assert.deepEqual(f.evidence.slice(0, a.evidence.length), a.evidence, "the attribution's evidence comes first");
      assert.ok(a.reasons.every((r) => typeof r.kind === "string"));
      assert.ok(a.reasons.length === 0 || f.explanation.length > 0);
      if (f.path !== a.path) assert.deepEqual([a.path, f.path, f.outcome], ["unknown", "dnat", "failed"], "the one change explain may make");
    });
  });
}

for (const s of samples) {
  test(`${s}: explainOwnFlows makes the flows explainFlows makes, and lets the attributed ones go`, async () => {
    const model = buildModel(await loadBundle([path.join("samples", s)], { netnsOverrides: new Map() }));
    const expected = explainFlows(model, attribute(model));
    const attributed = attribute(model);
    const evidence = attributed.map((a) => a.evidence);
    const flows = explainOwnFlows(model, attributed);
    assert.deepEqual(flows, expected);
    assert.equal(attributed.length, 0, "the attributed flows are let go");
    // the attribution's evidence array is the flow's own when the rules add nothing to it
    flows.forEach((f, i) => {
      if (f.evidence.length === evidence[i]!.length) assert.equal(f.evidence, evidence[i]);
    });
  });
}
