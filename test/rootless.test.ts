/**
 * Rootless engines (samples/lab-rootless-*, scripts/lab/rootless.sh): the engine and its
 * forwarder are named, every relayed flow names the forwarder process that relayed it and
 * what the container saw, the rootless network namespace's rules and conntrack stay out
 * of the host's view, and less evidence lowers what is claimed without turning it wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadBundle, type Bundle } from "../src/analyze/bundle.js";
import { analyzeBundle, type Report } from "../src/analyze/report.js";

interface Expected {
  engine: string;
  portDriver: string;
  flows: {
    id: string;
    proto: string;
    path: string;
    client: { ip: string | null; port: number; kind: string; container: string | null };
    container: { name: string; port: number } | null;
    forwarder?: { name: string; pid: number };
    containerSees: { ip: string; port: number | null } | null;
    clientInCapture?: boolean;
  }[];
}

const samples = readdirSync("samples").filter((d) => d.startsWith("lab-rootless-") && existsSync(path.join("samples", d, "EXPECTED.json"))).sort();

const loaded = new Map<string, Bundle>();
async function bundle(dir: string): Promise<Bundle> {
  let b = loaded.get(dir);
  if (!b) loaded.set(dir, (b = await loadBundle([path.join("samples", dir)], { netnsOverrides: new Map() })));
  return { ...structuredClone({ ...b, sources: new Map() }), sources: b.sources };
}

const flowOf = (r: Report, e: Expected["flows"][number]) => r.flows.find((f) => f.proto === e.proto && f.client.port === e.client.port && f.client.ip === e.client.ip);
const inNetns = (file: string, name: string) => file.includes(`/namespaces/${name}/`);

test("there is a rootless sample", () => {
  assert.ok(samples.length >= 1, "samples/lab-rootless-*");
});

for (const dir of samples) {
  const expected: Expected = JSON.parse(readFileSync(path.join("samples", dir, "EXPECTED.json"), "utf8"));

  test(`${dir}: the host names the rootless engine and its forwarder; the rootless namespace's rules are not the host's`, async () => {
    const r = await analyzeBundle(await bundle(dir));
    assert.equal(r.host.engine, expected.engine);
    assert.ok(r.host.rootless, "host.rootless");
    assert.equal(r.host.rootless.forwarder, expected.portDriver === "slirp4netns" ? "slirp4netns" : expected.engine === "podman-rootless" ? "rootlessport" : "rootlesskit");
    if (expected.engine === "docker-rootless") assert.equal(r.host.rootless.portDriver, expected.portDriver);
    // the rootless namespace holds DNAT rules; the host's own dumps hold none, and no flow is called DNAT
    assert.ok(r.host.rootless.netns && r.host.rootless.netns.dnatRules > 0, "the rootless namespace's DNAT rules are counted there");
    assert.notEqual(r.host.firewall.state, "docker");
    assert.deepEqual(r.flows.filter((f) => f.path === "dnat"), []);
    for (const f of r.flows) for (const e of f.evidence) assert.ok(!/DNAT rule/.test(e.note ?? ""), `a flow cites a DNAT rule: ${e.file}:${e.line}`);
    assert.deepEqual(r.findings.filter((x) => x.id === "published-no-dnat" || x.id === "stale-dnat-rule"), []);
  });

  test(`${dir}: each relayed flow names its forwarder and what the container saw`, async () => {
    const r = await analyzeBundle(await bundle(dir));
    for (const e of expected.flows) {
      if (e.path !== "forwarder" || e.clientInCapture === false) continue;
      const f = flowOf(r, e);
      assert.ok(f, `${e.id}: no flow`);
      assert.equal(f.path, "forwarder", e.id);
      if (e.forwarder && e.proto === "tcp") {
        assert.equal(f.pathDetail, e.forwarder.name, `${e.id}: forwarder`);
        assert.equal(f.proxy?.pid, e.forwarder.pid, `${e.id}: forwarder pid`);
      }
      if (e.containerSees) {
        // UDP: the address is known; the port only when the forwarder's datagram leg could be paired
        if (e.proto === "udp" && f.containerSees?.port === null) assert.equal(f.containerSees.ip, e.containerSees.ip, `${e.id}: what ${e.container?.name} sees`);
        else assert.deepEqual(f.containerSees, e.containerSees, `${e.id}: what ${e.container?.name} sees`);
      }
      const real = e.containerSees && e.containerSees.ip === e.client.ip && e.containerSees.port === e.client.port;
      assert.match(f.explanation, real ? /sees the real client/ : /not the client/, e.id);
    }
  });

  test(`${dir}: without the rootless namespace's own files the flows are still relayed, never DNATed`, async () => {
    const b = await bundle(dir);
    b.sockets = b.sockets.filter((s) => !inNetns(s.source.file, "rootless-netns"));
    b.rules = b.rules.filter((x) => !inNetns(x.source.file, "rootless-netns"));
    b.chains = b.chains.filter((x) => !inNetns(x.source.file, "rootless-netns"));
    b.conntrack = b.conntrack.filter((x) => !inNetns(x.source.file, "rootless-netns"));
    b.addresses = b.addresses.filter((x) => !inNetns(x.source.file, "rootless-netns"));
    b.routes = b.routes.filter((x) => !inNetns(x.source.file, "rootless-netns"));
    b.ruleDumps = b.ruleDumps.filter((d) => !inNetns(d.file, "rootless-netns"));
    const r = await analyzeBundle(b);
    assert.equal(r.host.engine, expected.engine);
    assert.equal(r.host.rootless?.netns, null);
    assert.deepEqual(r.flows.filter((f) => f.path === "dnat"), []);
    for (const e of expected.flows) {
      if (e.path !== "forwarder" || e.proto !== "tcp") continue;
      const f = flowOf(r, e) ?? r.flows.find((x) => x.proto === "tcp" && x.published?.port === e.client.port);
      if (e.client.kind === "container" && !f) continue;
      assert.ok(f, `${e.id}: no flow`);
      assert.equal(f.path, "forwarder", e.id);
      // a container client's masquerade is proven only by the rootless namespace's conntrack
      if (e.client.kind === "container") assert.notEqual(f.snat, true, `${e.id}: MASQUERADE claimed without the rootless namespace's conntrack`);
    }
  });

  test(`${dir}: without ps, the socket owners alone name the engine`, async () => {
    const b = await bundle(dir);
    b.processes = [];
    const r = await analyzeBundle(b);
    assert.equal(r.host.engine, expected.engine);
    const relayed = expected.flows.filter((e) => e.path === "forwarder" && e.proto === "tcp" && e.client.kind !== "container");
    for (const e of relayed) assert.equal(flowOf(r, e)?.path, "forwarder", e.id);
  });

  test(`${dir}: without socket owners the forwarder is inferred from ps, never certain`, async () => {
    const b = await bundle(dir);
    for (const s of b.sockets) {
      s.pid = null;
      s.program = null;
    }
    const r = await analyzeBundle(b);
    assert.equal(r.host.engine, expected.engine);
    for (const e of expected.flows) {
      if (e.path !== "forwarder" || e.proto !== "tcp" || e.client.kind === "container") continue;
      const f = flowOf(r, e);
      assert.ok(f, `${e.id}: no flow`);
      assert.equal(f.path, "forwarder", e.id);
      assert.notEqual(f.confidence, "certain", `${e.id}: certain without socket owners`);
    }
  });

  test(`${dir}: with neither ps nor socket owners, nothing claims a NAT the bundle cannot show`, async () => {
    const b = await bundle(dir);
    b.processes = [];
    for (const s of b.sockets) {
      s.pid = null;
      s.program = null;
    }
    const r = await analyzeBundle(b);
    for (const f of r.flows) if (f.path === "dnat") assert.notEqual(f.confidence, "certain", `${f.client.ip}:${f.client.port}`);
  });
}

test("--what-if on a rootless host is not answered as if dockerd's setting decided the paths", async () => {
  if (!samples.length) return;
  const r = await analyzeBundle(await bundle(samples[0]!), { whatIf: "userland-proxy=false" });
  assert.equal(r.whatIf?.verdict, "unknown");
  assert.match(r.whatIf!.text, /not answered for a rootless engine/);
  assert.deepEqual(r.flows.filter((f) => f.whatIf), []);
});
