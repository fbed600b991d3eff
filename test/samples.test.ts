/**
 * Every committed sample is a valid natlens input: its EXPECTED.json has the
 * ground-truth shape the lab writes, and every capture file in the bundle is
 * detected and parsed without a single error. Files natlens does not read are
 * listed here by name, so a new capture nobody parses cannot slip in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadBundle } from "../src/analyze/bundle.js";

/** Not captures natlens reads: notes, ground truth, and command outputs with no network state. */
const NOT_READ = new Set([
  "EXPECTED.json",
  "README.md",
  "MANIFEST",
  "containers",
  "date",
  "uname",
  "sysctl",
  "docker_info",
  "docker_version",
  "docker_network_ls",
  "docker_network_ls_-q_--no-trunc",
  "docker_ps_-q_--no-trunc",
  "sysctl_-a",
  "netstat_-W_-agn",
  "daemon.json",
  "podman_info",
  "podman_version",
  "podman_network_ls_-q_--no-trunc",
  "podman_ps_-q_--no-trunc",
  // netavark's network JSON (name, network_interface, subnets[].gateway), not Docker's; the
  // bridges come from the containers' inspect instead
  "podman_network_inspect",
  "ip_-o_link",
  // supportconfig's docker.txt of lab-proxy-scc: only its rpm check (Debian's docker.io is no rpm), no docker entries
  "docker.txt",
]);

const samples = readdirSync("samples").filter((d) => existsSync(path.join("samples", d, "EXPECTED.json"))).sort();

test("samples exist: at least lab-proxy, lab-noproxy, lab-ipv6 and a sosreport layout", () => {
  for (const s of ["lab-proxy", "lab-noproxy", "lab-ipv6"]) assert.ok(samples.includes(s), s);
  assert.ok(samples.some((s) => existsSync(path.join("samples", s, "sos_commands"))), "a sosreport-style sample");
});

for (const s of samples) {
  test(`${s}: EXPECTED.json is valid ground truth`, () => {
    const e = JSON.parse(readFileSync(path.join("samples", s, "EXPECTED.json"), "utf8"));
    assert.equal(e.schema, "natlens/expected@1");
    assert.equal(e.scenario, s);
    assert.equal(typeof e.userlandProxy, "boolean");
    assert.ok(Array.isArray(e.flows) && e.flows.length > 0);
    const ids = new Set<string>();
    for (const f of e.flows) {
      assert.ok(!ids.has(f.id), `duplicate flow id ${f.id}`);
      ids.add(f.id);
      assert.ok(["tcp", "udp"].includes(f.proto), f.id);
      assert.ok(["dnat", "docker-proxy", "forwarder", "direct", "failed"].includes(f.path), `${f.id}: path ${f.path}`);
      assert.equal(typeof f.snat, "boolean", f.id);
      assert.ok(["external", "host", "container"].includes(f.client.kind), f.id);
      assert.ok(Number.isInteger(f.client.port), f.id);
      assert.ok(typeof f.dialled.ip === "string" && Number.isInteger(f.dialled.port), f.id);
      if (f.path !== "failed") assert.ok(f.container && typeof f.container.name === "string" && Number.isInteger(f.container.port), f.id);
      assert.ok(typeof f.confirmedBy === "string" && f.confirmedBy.length > 0, `${f.id}: how it was confirmed`);
    }
  });

  test(`${s}: every capture is detected and parsed with zero errors`, async () => {
    const b = await loadBundle([path.join("samples", s)], { netnsOverrides: new Map() });
    const errors = b.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors, [], "error diagnostics");
    for (const i of b.inputs) {
      const name = path.basename(i.file);
      if (NOT_READ.has(name)) continue;
      if (i.lines === i.ignoredBy["blank"] || i.lines === 0) continue; // an empty capture (e.g. no ip6tables rules)
      assert.ok(i.format !== null, `${i.file} was not recognised`);
      assert.equal(i.skipped, 0, `${i.file}: skipped lines`);
      assert.ok(i.records + i.ignored === i.lines || i.records > 0, `${i.file}: lines neither parsed nor accounted`);
    }
  });
}

test("a collector bundle's MANIFEST tells each file's command: listings need no table guess", async () => {
  const b = await loadBundle(["samples/lab-proxy"], { netnsOverrides: new Map() });
  assert.deepEqual(b.diagnostics.filter((d) => d.code === "W_TABLE_ASSUMED"), []);
  const raw = b.chains.filter((c) => c.source.file.endsWith("iptables_-t_raw_-nvL_--line-numbers"));
  assert.ok(raw.length > 0 && raw.every((c) => c.table === "raw"), JSON.stringify(raw.map((c) => c.table)));
  // Without the manifest (the file on its own) the table is inferred and the guess is reported.
  const alone = await loadBundle(["samples/lab-proxy/commands/iptables_-t_raw_-nvL_--line-numbers"], { netnsOverrides: new Map() });
  assert.ok(alone.diagnostics.some((d) => d.code === "W_TABLE_ASSUMED"));
});
