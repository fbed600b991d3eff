/** `batch --resume` after a real SIGKILL half-way: the tables of an uninterrupted run, apart from `seconds`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runCli } from "./_io.js";
import { hostRows, testFleet, tmpOut, withoutSeconds } from "./_fleet.js";

const fleet = await testFleet();
const TABLES = ["flows.csv", "flows.ndjson", "summary.txt"];

function complete(out: string): number {
  try {
    return readdirSync(path.join(out, "hosts")).filter((id) => existsSync(path.join(out, "hosts", id, "host.json"))).length;
  } catch {
    return 0;
  }
}

test("killed with SIGKILL half-way, then resumed: the tables of an uninterrupted run", async () => {
  const whole = tmpOut("whole");
  const w = await runCli(["batch", fleet.dir, "--out", whole, "-j", "2", "-q"]);
  assert.equal(w.code, 1, w.stderr);

  const out = tmpOut("killed");
  const child = spawn(process.execPath, ["dist/src/cli.js", "batch", fleet.dir, "--out", out, "-j", "1", "-q"], { stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  const deadline = Date.now() + 120_000;
  while (complete(out) < 4 && Date.now() < deadline) await sleep(20);
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL", "the run was killed, not finished");
  const done = complete(out);
  assert.ok(done >= 4 && done < fleet.hosts.length, `killed half-way (${done} hosts complete)`);
  assert.ok(!existsSync(path.join(out, "batch.json")), "an interrupted run is not marked complete");

  const r = await runCli(["batch", fleet.dir, "--out", out, "-j", "2", "--resume"]);
  assert.equal(r.code, 1, r.stderr);
  const kept = Number(/, (\d+) kept from the earlier run/.exec(r.stderr)?.[1]);
  assert.ok(kept >= done - 1 && kept <= done, `hosts complete before the kill are kept (${kept} of ${done}; a failed one is redone)`);
  for (const t of TABLES) assert.ok(readFileSync(path.join(out, t)).equals(readFileSync(path.join(whole, t))), t);
  for (const t of ["hosts.csv", "hosts.ndjson"]) assert.equal(withoutSeconds(out, t), withoutSeconds(whole, t), t);
  for (const row of hostRows(whole)) {
    if (row.status === "failed") continue;
    const a = (d: string) => readFileSync(path.join(d, "hosts", row.host_id, "analysis.json"));
    assert.ok(a(out).equals(a(whole)), row.host_id);
  }
  const leftovers = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? leftovers(path.join(dir, e.name)) : e.name.endsWith(".natlens-tmp") ? [e.name] : []));
  assert.deepEqual(leftovers(out), []);
});

test("--resume redoes a host whose input changed, and hosts that failed", async () => {
  const out = tmpOut("resume");
  const first = await runCli(["batch", fleet.dir, "--out", out, "-j", "2", "-q"]);
  assert.equal(first.code, 1);
  const rows = hostRows(out);
  const analysed = rows.filter((r) => r.status !== "failed").length;
  const again = await runCli(["batch", fleet.dir, "--out", out, "-j", "2", "-q", "--resume"]);
  assert.match(again.stderr, new RegExp(`, ${analysed} kept from the earlier run`));
  const touched = rows.find((r) => r.status === "ok")!;
  const file = statSync(touched.input).isDirectory() ? path.join(touched.input, "hostname") : touched.input;
  utimesSync(file, new Date(), new Date(Date.UTC(2030, 0, 1)));
  const third = await runCli(["batch", fleet.dir, "--out", out, "-j", "2", "-q", "--resume"]);
  assert.match(third.stderr, new RegExp(`, ${analysed - 1} kept from the earlier run`));
  const asked = await runCli(["batch", fleet.dir, "--out", out, "-j", "2", "-q", "--resume", "--format-per-host", "text"]);
  assert.ok(!asked.stderr.includes("kept from the earlier run"), "a format not written before makes every host run again");
  assert.ok(existsSync(path.join(out, "hosts", touched.host_id, "analysis.txt")));
});
