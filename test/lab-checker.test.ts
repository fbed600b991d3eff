/**
 * The lab checker (scripts/lab/expect.cjs) re-run over each sample's own
 * capture: its flow table is rebuilt from the sample's EXPECTED.json (what
 * the lab did and what docker-paths predicts), each refused client's error
 * from the line confirmedBy cites. Every TCP flow must come out as the lab
 * checker wrote it, and confirmedBy must cite each line once (a direct flow
 * on a host without conntrack cited its container's socket twice).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

interface ExpectedFlow {
  id: string;
  proto: string;
  client: { kind: string; container: string | null; port: number };
  dialled: { ip: string; port: number };
  container: { name: string; port: number } | null;
  path: string;
  snat: boolean;
  state: string;
  docRow: string | null;
  expectedFromDoc: { path: string; snat: boolean; sees: string | null } | null;
  confirmedBy: string;
}
interface Expected {
  layout: string;
  userlandProxy: boolean;
  flows: ExpectedFlow[];
}

const SAMPLES = "samples";
const run = promisify(execFile);
const read = (dir: string): Expected => JSON.parse(readFileSync(path.join(SAMPLES, dir, "EXPECTED.json"), "utf8"));
const all = readdirSync(SAMPLES).filter((d) => existsSync(path.join(SAMPLES, d, "EXPECTED.json"))).sort();
/** Samples that are the collector bundle expect.cjs read, TCP only (UDP flows need the echo servers' logs, not kept). */
const checked = all.filter((d) => {
  const e = read(d);
  return e.layout === "natlens-collect" && e.flows.every((f) => f.proto === "tcp" && "expectedFromDoc" in f);
});

const lines = (confirmedBy: string) => confirmedBy.split("; ");

test("the lab checker can be re-run over several samples", () => {
  assert.ok(checked.length >= 8, checked.join(", "));
  assert.ok(checked.includes("lab-noiptables-noproxy"));
});

for (const dir of checked) {
  test(`${dir}: the lab checker re-run over the capture confirms every flow as EXPECTED.json says, each line once`, async () => {
    const expected = read(dir);
    const tmp = mkdtempSync(path.join(tmpdir(), "natlens-checker-"));
    try {
      const doc = (e: ExpectedFlow["expectedFromDoc"]) => (e ? `${e.path},${e.snat ? 1 : 0},${e.sees ?? "-"}` : "-");
      const flows = expected.flows.map((f) =>
        [f.id, f.proto, f.client.kind, f.client.container ?? "-", f.client.port, f.dialled.ip, f.dialled.port, f.container?.name ?? "-", f.container?.port ?? 0, f.docRow?.replace(/.* row /, "") ?? "-", doc(f.expectedFromDoc), doc(f.expectedFromDoc)].join("\t"),
      );
      // the checker drops the first three words of a client's stderr (the tool's own prefix)
      const refused = expected.flows.flatMap((f) => lines(f.confirmedBy).filter((l) => l.startsWith("client: ")).map((l) => `${f.id}\tclient x x ${l.slice("client: ".length)}`));
      writeFileSync(path.join(tmp, "flows.tsv"), flows.join("\n") + "\n");
      writeFileSync(path.join(tmp, "clients.tsv"), refused.join("\n") + "\n");
      const out = path.join(tmp, "EXPECTED.json");
      const args = ["scripts/lab/expect.cjs", "--scenario", dir, "--proxy", String(expected.userlandProxy), "--flows", path.join(tmp, "flows.tsv"), "--bundle", path.join(SAMPLES, dir), "--clients", path.join(tmp, "clients.tsv"), "--out", out];
      await run(process.execPath, args);
      const again = JSON.parse(readFileSync(out, "utf8")) as Expected;
      assert.equal(again.flows.length, expected.flows.length);
      for (const [i, f] of again.flows.entries()) {
        const e = expected.flows[i]!;
        assert.deepEqual([f.id, f.path, f.snat, f.state], [e.id, e.path, e.snat, e.state], `${dir} ${e.id}`);
        const seen = lines(f.confirmedBy);
        assert.equal(new Set(seen).size, seen.length, `${dir} ${f.id}: a line cited twice: ${f.confirmedBy}`);
        // the same evidence as the sample's, but for what the clients printed (not rebuilt here)
        assert.deepEqual(seen, lines(e.confirmedBy).filter((l) => !l.startsWith("client output: ")), `${dir} ${f.id}: confirmedBy`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test("every sample's EXPECTED.json cites each line of a flow's confirmedBy once", () => {
  for (const dir of all) {
    for (const f of read(dir).flows) {
      const seen = lines(f.confirmedBy);
      assert.equal(new Set(seen).size, seen.length, `${dir} ${f.id}: ${f.confirmedBy}`);
    }
  }
});
