/** `batch --shard I/N` and `merge`: shards merged give the unsharded run's tables, byte for byte apart from `seconds`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { runCli } from "./_io.js";
import { FLEET_COUNTS, hostRows, testFleet, tmpOut, withoutSeconds } from "./_fleet.js";
import { shardOf } from "../src/batch/discover.js";

const fleet = await testFleet();
const whole = tmpOut("whole");
const wholeRun = runCli(["batch", fleet.dir, "--out", whole, "-j", "2", "-q"]);
const shards = [1, 2, 3].map((i) => tmpOut(`shard${i}`));
const shardRuns = Promise.all(shards.map((dir, i) => runCli(["batch", fleet.dir, "--out", dir, "-j", "1", "-q", "--shard", `${i + 1}/3`])));

test("three shards take every host exactly once, by the hash of its id", async () => {
  await wholeRun;
  const runs = await shardRuns;
  const ids = hostRows(whole).map((r) => r.host_id);
  const taken = shards.flatMap((d, i) => hostRows(d).map((r) => ({ id: r.host_id, shard: i + 1 })));
  assert.deepEqual(taken.map((t) => t.id).sort(), ids);
  for (const t of taken) assert.equal(shardOf(t.id, 3), t.shard, t.id);
  for (const r of runs) assert.ok(r.code === 0 || r.code === 1, r.stderr);
});

test("merge of the shards equals the unsharded run, apart from seconds", async () => {
  await wholeRun;
  await shardRuns;
  const merged = tmpOut("merged");
  const m = await runCli(["merge", ...shards, "--out", merged]);
  assert.equal(m.code, 1, m.stderr); // the fleet has a partial and a failed host
  assert.match(m.stderr, new RegExp(`^natlens merge: 14 hosts: ${FLEET_COUNTS}; tables in `, "m"));
  for (const t of ["flows.csv", "flows.ndjson", "summary.txt"]) assert.ok(readFileSync(path.join(merged, t)).equals(readFileSync(path.join(whole, t))), t);
  for (const t of ["hosts.csv", "hosts.ndjson"]) assert.equal(withoutSeconds(merged, t), withoutSeconds(whole, t), t);
  assert.equal(m.stdout, readFileSync(path.join(whole, "summary.txt"), "utf8"));
  for (const r of hostRows(whole)) {
    if (r.status === "failed") continue;
    const file = (d: string) => readFileSync(path.join(d, "hosts", r.host_id, "analysis.json"));
    assert.ok(file(merged).equals(file(whole)), `${r.host_id}: analysis.json`);
  }
});

test("merge refuses an unfinished shard, a shard given twice, shards of different splits; says which shards are missing", async () => {
  await shardRuns;
  const twice = await runCli(["merge", shards[0]!, shards[0]!, "--out", tmpOut("m")]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /is in both|given twice/);
  const two = await runCli(["merge", shards[0]!, shards[1]!, "--out", tmpOut("m")]);
  assert.equal(two.code, 1);
  assert.match(two.stderr, /shard 3\/3 not given: their hosts are missing/);
  const other = tmpOut("other");
  const o = await runCli(["batch", fleet.hosts[0]!.path, "--out", other, "--shard", "1/1", "-q"]);
  assert.equal(o.code, 0, o.stderr);
  const mixed = await runCli(["merge", shards[0]!, other, "--out", tmpOut("m")]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /shard 1\/1, the others are of 3|found 1 hosts/);
  rmSync(path.join(other, "batch.json"));
  const unfinished = await runCli(["merge", other, "--out", tmpOut("m")]);
  assert.equal(unfinished.code, 2);
  assert.match(unfinished.stderr, /not a finished natlens batch output \(no batch\.json\)/);
  assert.match(unfinished.stderr, /hint: run that shard again with --resume/);
  assert.ok(!existsSync(path.join(other, "merged")));
});

test("shard assignment spreads hosts evenly", () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `host${i}`);
  const counts = new Array<number>(8).fill(0);
  for (const id of ids) counts[shardOf(id, 8) - 1]!++;
  for (const c of counts) assert.ok(c > 180 && c < 320, `uneven shards: ${counts.join(" ")}`);
});
