/**
 * A short seeded run of the fuzz harness (the long one is `npm run fuzz`), and
 * proof that its hang and exception detectors fire.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runFuzz, Slot } from "../scripts/fuzz/fuzz.js";
import { MUTATOR_NAMES, MUTATORS, prng } from "../scripts/fuzz/mutate.js";

test("fuzz: 1,500 seeded mutants of every capture and 30 mutated analyses raise no exception, hang or superlinear parse", async () => {
  const r = await runFuzz({ mutants: 1500, seed: 20261207, jobs: 2, analyzeEvery: 50, growth: ["proc-net-tcp"] });
  assert.deepEqual(
    r.failures.map((f) => `${f.kind} ${f.input} [${f.how.join("+")}]: ${f.detail.split("\n")[0]}`),
    [],
  );
  assert.equal(r.mutants, 1500);
  assert.ok(r.analyses >= 25, `analyses: ${r.analyses}`);
  for (const f of ["proc-net-tcp", "ss", "netstat", "ps", "iptables-save", "iptables-list", "nft", "conntrack", "docker-inspect", "docker-ps", "ip-addr", "ip-route"]) {
    assert.ok((r.byFormat[f] ?? 0) > 0, `no mutant of ${f}`);
  }
  assert.equal(r.growth.length, 1);
});

test("fuzz: every mutator changes real input and is deterministic for a seed", () => {
  const input = Buffer.from("sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000\ntcp 0 0 172.17.0.1:8080 [fd00::1]:40000 ESTABLISHED 12/docker-proxy\n");
  for (const name of MUTATOR_NAMES) {
    const run = () => {
      const r = prng(99);
      const outs: string[] = [];
      for (let i = 0; i < 20; i++) outs.push(MUTATORS[name]!(input, r, () => input).toString("latin1"));
      return outs;
    };
    const a = run();
    assert.deepEqual(run(), a, `${name} is not deterministic`);
    assert.ok(a.some((o) => o !== input.toString("latin1")), `${name} never changed the input`);
  }
});

test("fuzz: a job that never ends is stopped and reported as a timeout, a thrown error as a failed job", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "natlens-fuzz-"));
  try {
    const file = path.join(dir, "worker.mjs");
    writeFileSync(
      file,
      `import { parentPort } from "node:worker_threads";
parentPort.postMessage("ready");
parentPort.on("message", (job) => {
  if (job.name === "hang") for (;;) {}
  if (job.name === "throw") return parentPort.postMessage({ ok: false, ms: 0, error: "Error: boom" });
  parentPort.postMessage({ ok: true, ms: 1, records: 0 });
});
`,
    );
    const slot = new Slot(pathToFileURL(file));
    assert.equal(await slot.run({ kind: "parse", name: "hang", bytes: new Uint8Array() }, 300), "timeout");
    // the slot replaced its stuck worker and still works
    assert.deepEqual(await slot.run({ kind: "parse", name: "ok", bytes: new Uint8Array() }, 5000), { ok: true, ms: 1, records: 0 });
    const thrown = await slot.run({ kind: "parse", name: "throw", bytes: new Uint8Array() }, 5000);
    assert.ok(thrown !== "timeout" && !thrown.ok && thrown.error.includes("boom"));
    await slot.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
