/**
 * The GNU parallel recipe of docs/fleet.md, run as written (with `natlens` on
 * PATH and `hosts/` the generated fleet): its merged tables equal an unsharded run's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FLEET_COUNTS, testFleet, tmpOut, withoutSeconds } from "./_fleet.js";

function recipe(): string {
  const doc = readFileSync("docs/fleet.md", "utf8");
  const m = /<!-- recipe: gnu-parallel -->\n```sh\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, "docs/fleet.md has the GNU parallel recipe");
  return m[1]!;
}

const probe = spawnSync("parallel", ["--will-cite", "--version"], { encoding: "utf8" });
const why = probe.error ? `GNU parallel cannot be run here (${probe.error.message}); .ci/run installs the Debian package 'parallel'` : undefined;

test("the GNU parallel recipe in docs/fleet.md gives the unsharded tables", { skip: why }, async () => {
  const fleet = await testFleet();
  const work = tmpOut("parallel");
  spawnSync("mkdir", ["-p", path.join(work, "bin")]);
  symlinkSync(fleet.dir, path.join(work, "hosts"));
  const bin = path.join(work, "bin", "natlens");
  writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.resolve("dist/src/cli.js"))} "$@"\n`);
  chmodSync(bin, 0o755);
  const r = spawnSync("sh", ["-c", recipe()], { cwd: work, encoding: "utf8", env: { ...process.env, PATH: `${path.dirname(bin)}:${process.env.PATH}` } });
  assert.ok(r.status === 0 || r.status === 1, `recipe exit ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`natlens merge: 14 hosts: ${FLEET_COUNTS}; tables in fleet`));
  const plain = spawnSync("sh", ["-c", "natlens batch hosts/ --out whole -q"], { cwd: work, encoding: "utf8", env: { ...process.env, PATH: `${path.dirname(bin)}:${process.env.PATH}` } });
  assert.equal(plain.status, 1, plain.stderr);
  const [fleetOut, whole] = [path.join(work, "fleet"), path.join(work, "whole")];
  for (const t of ["flows.csv", "flows.ndjson", "summary.txt"]) assert.ok(readFileSync(path.join(fleetOut, t)).equals(readFileSync(path.join(whole, t))), t);
  for (const t of ["hosts.csv", "hosts.ndjson"]) assert.equal(withoutSeconds(fleetOut, t), withoutSeconds(whole, t), t);
});
