/**
 * The header's Docker version: docker info's Server Version when the bundle
 * holds a docker info capture (samples/lab-noiptables-noproxy has one and no
 * Docker chain: it said `docker: unknown`), else the range the rule chains
 * fit. Checked on every sample against its own docker info file, read here
 * with a regular expression, not with natlens.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadBundle } from "../src/analyze/bundle.js";
import { analyzeBundle } from "../src/analyze/report.js";
import { atLeast, versionOf } from "../src/whatif/facts.js";
import { runCli } from "./_io.js";

const SAMPLES = "samples";
const samples = readdirSync(SAMPLES).filter((d) => existsSync(path.join(SAMPLES, d, "EXPECTED.json"))).sort();

/** The Server Version line of a sample's docker info capture, if it has one. */
function serverVersion(dir: string): string | null {
  for (const f of ["docker/docker_info", "sos_commands/docker/docker_info"]) {
    const p = path.join(SAMPLES, dir, f);
    if (!existsSync(p)) continue;
    const m = /^\s*Server Version:\s*(\S+)\s*$/m.exec(readFileSync(p, "utf8"));
    if (m) return m[1]!;
  }
  return null;
}

/** Does `version` lie in the chains' range (`18.05 - 28.0.0`, `28.0.1 - 28.x`, `>= 29.0`)? */
function inRange(version: string, range: string): boolean {
  const v = versionOf(version)!;
  const ge = /^>= (\S+)/.exec(range);
  if (ge) return atLeast(v, versionOf(ge[1]!)!);
  const m = /^(\S+) - (\S+)$/.exec(range);
  assert.ok(m, `a range: ${range}`);
  const hi = m[2]!.endsWith(".x") ? [Number(m[2]!.split(".")[0]), 999, 999] : versionOf(m[2]!)!;
  return atLeast(v, versionOf(m[1]!)!) && atLeast(hi, v);
}

test("lab-noiptables-noproxy: the header names docker info's Server Version (no Docker chain to tell a range from)", async () => {
  const r = await runCli(["analyze", "samples/lab-noiptables-noproxy", "--color", "never"]);
  assert.equal(r.code, 0, r.stderr);
  const header = r.stdout.split("\n")[0]!;
  assert.match(header, /  docker: 20\.10\.24\+dfsg1$/, header);
});

for (const dir of samples) {
  test(`${dir}: the Docker version is docker info's when there is one, else the chains' range; the two agree`, async () => {
    const full = await loadBundle([path.join(SAMPLES, dir)], { netnsOverrides: new Map() });
    const exact = serverVersion(dir);
    const withInfo = (await analyzeBundle(full)).host;
    // the same bundle without its docker info: what the rule chains alone say
    const bare = { ...full, settings: full.settings.filter((s) => s.format !== "docker-info") };
    const chains = (await analyzeBundle(bare)).host.dockerVersion;
    if (exact === null) {
      assert.equal(withInfo.dockerVersion, chains, "no docker info: the chains' answer");
      return;
    }
    assert.equal(withInfo.dockerVersion, exact);
    assert.match(withInfo.dockerVersionHow, /^docker info's Server Version/);
    if (chains !== "unknown") {
      assert.ok(inRange(exact, chains), `${exact} outside the chains' ${chains}`);
      assert.ok(withInfo.dockerVersionHow.includes(chains), withInfo.dockerVersionHow);
    }
  });
}
