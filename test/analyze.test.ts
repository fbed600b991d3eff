/**
 * `analyze` against ground truth: every flow in samples/<scenario>/EXPECTED.json
 * (written by scripts/lab.sh from what the lab did, confirmed from the capture,
 * never from natlens) must be attributed to the right path, client and
 * container. Then the same with less evidence: no conntrack, no socket owners.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadBundle, type Bundle } from "../src/analyze/bundle.js";
import { analyzeBundle, type Report } from "../src/analyze/report.js";
import { runCli } from "./_io.js";

interface Expected {
  scenario: string;
  userlandProxy: boolean;
  flows: {
    id: string;
    proto: string;
    client: { ip: string | null; port: number | null; kind: string; container: string | null };
    dialled: { ip: string; port: number };
    container: { name: string; ip: string; port: number } | null;
    path: "dnat" | "docker-proxy" | "forwarder" | "direct" | "failed";
    snat: boolean;
    state: string;
    /** false: no file of the capture names the client (lab-rootless-*: a UDP client of a forwarder). */
    clientInCapture?: boolean;
  }[];
}

const SAMPLES = "samples";
const scenarios = readdirSync(SAMPLES).filter((d) => existsSync(path.join(SAMPLES, d, "EXPECTED.json"))).sort();

const cache = new Map<string, Bundle>();
async function bundle(dir: string): Promise<Bundle> {
  let b = cache.get(dir);
  if (!b) {
    b = await loadBundle([path.join(SAMPLES, dir)], { netnsOverrides: new Map() });
    cache.set(dir, b);
  }
  // a fresh copy: the degraded variants change records (the sources are streams, shared)
  return { ...structuredClone({ ...b, sources: new Map() }), sources: b.sources };
}

/** A container's own socket table: proc/<pid>/net/*, or a sosreport-style namespaces/<container>/ folder (ss run inside it). */
function inContainerNetns(b: Bundle, netns: string | null): boolean {
  if (!netns) return false;
  return netns.startsWith("pid:") || (netns.startsWith("netns:") && b.containers.some((c) => c.name === netns.slice("netns:".length)));
}

/** An address-only container's name (`<172.17.0.2>`, `<172.17.0.2 fd00:17::242:ac11:2>`) that lists `ip`. */
function isAddressName(name: string, ip: string): boolean {
  return name.startsWith("<") && name.endsWith(">") && name.slice(1, -1).split(" ").includes(ip);
}

function findFlow(r: Report, e: Expected["flows"][number]) {
  return r.flows.find((f) => f.proto === e.proto && f.client.port === e.client.port && (e.client.ip === null || f.client.ip === e.client.ip));
}

test("there are real samples with ground truth", () => {
  assert.ok(scenarios.length >= 3, `found ${scenarios.join(", ")}`);
});

for (const dir of scenarios) {
  const expected: Expected = JSON.parse(readFileSync(path.join(SAMPLES, dir, "EXPECTED.json"), "utf8"));
  // a supportconfig holds no docker inspect: a container is known by its address, named `<172.17.0.2>`
  const named = (expected as { layout?: string }).layout !== "supportconfig";
  const nameOf = (c: { name: string; ip: string } | null | undefined) => (c ? (named ? c.name : `<${c.ip}>`) : undefined);

  test(`${dir}: every expected flow has the right path, client and container`, async () => {
    const r = await analyzeBundle(await bundle(dir));
    assert.equal(r.schema, "natlens/analysis@1.2");
    assert.equal(r.host.userlandProxy, expected.userlandProxy ? "on" : "off");
    // One flow per real connection, seen from all its ends: no client endpoint twice.
    const clients = r.flows.filter((f) => f.client.port !== null).map((f) => `${f.proto} ${f.client.ip}:${f.client.port}`);
    assert.equal(new Set(clients).size, clients.length, `a connection reported twice: ${clients.filter((c, i) => clients.indexOf(c) !== i)}`);
    for (const e of expected.flows) {
      const f = findFlow(r, e);
      if (e.path === "failed") {
        // A refused connection leaves nothing behind; a dropped one leaves a SYN_SENT socket.
        if (e.state === "REFUSED") assert.ok(!f || f.outcome === "failed", `${e.id}: reported as ${f?.outcome}`);
        else {
          assert.ok(f, `${e.id}: the stalled client is not reported`);
          assert.equal(f.outcome, "failed", e.id);
          assert.equal(f.container?.name, nameOf(e.container), `${e.id}: target`);
        }
        continue;
      }
      if (e.clientInCapture === false) {
        // nothing names the client: the flow is still there, to the right container, its client unknown
        const g = r.flows.find((x) => x.proto === e.proto && x.client.kind === "unknown" && x.container?.name === e.container?.name && x.container?.port === e.container?.port);
        assert.ok(g, `${e.id}: no flow with an unknown client to ${e.container?.name}:${e.container?.port}`);
        assert.equal(g.path, e.path, `${e.id}: path`);
        assert.notEqual(g.confidence, "certain", `${e.id}: certain without its client`);
        continue;
      }
      assert.ok(f, `${e.id}: no flow for client ${e.client.ip}:${e.client.port}`);
      assert.equal(f.path, e.path, `${e.id}: path`);
      assert.equal(f.container?.name, nameOf(e.container), `${e.id}: container`);
      assert.equal(f.container?.port, e.container?.port, `${e.id}: container port`);
      assert.equal(f.snat, e.snat, `${e.id}: snat`);
      assert.equal(f.outcome, "open", `${e.id}: outcome`);
      assert.equal(f.client.kind, e.client.kind, `${e.id}: client kind`);
      if (e.client.container && named) assert.equal(f.client.container, e.client.container, `${e.id}: client container`);
      if (e.path !== "direct") assert.deepEqual(f.published, { ip: e.dialled.ip, port: e.dialled.port }, `${e.id}: published endpoint`);
      assert.ok(f.evidence.length > 0 && f.evidence.every((x) => x.file && x.line > 0 && typeof x.text === "string"), `${e.id}: evidence cites file, line and text`);
      assert.ok(f.explanation.length > 20, `${e.id}: explanation`);
    }
  });

  test(`${dir}: without conntrack nothing NATed is claimed certain`, async () => {
    const b = await bundle(dir);
    b.conntrack = [];
    const r = await analyzeBundle(b);
    assert.equal(r.host.evidencePresent.conntrack, false);
    assert.ok(r.findings.some((x) => x.id === "missing-evidence" && /conntrack/.test(x.message)));
    for (const f of r.flows) {
      if (f.path === "dnat") assert.notEqual(f.confidence, "certain", `${f.client.ip}:${f.client.port} claimed certain DNAT without conntrack`);
    }
    // What is decided must still be right.
    let right = 0;
    for (const e of expected.flows) {
      const f = findFlow(r, e);
      if (!f || e.path === "failed" || f.path === "unknown") continue;
      assert.equal(f.path, e.path, `${e.id}: path without conntrack`);
      right++;
    }
    assert.ok(right >= expected.flows.filter((e) => e.path !== "failed" && e.proto === "tcp").length / 2, `only ${right} flows decided without conntrack`);
  });

  test(`${dir}: from the host's sockets alone, client connections to published ports are still reported`, async () => {
    const b = await bundle(dir);
    b.sockets = b.sockets.filter((s) => !inContainerNetns(b, s.netns));
    b.conntrack = [];
    const r = await analyzeBundle(b);
    for (const e of expected.flows) {
      if (e.path === "failed" || e.path === "direct" || e.client.kind !== "host" || e.proto !== "tcp") continue;
      const f = findFlow(r, e);
      assert.ok(f, `${e.id}: the host client's connection is not reported`);
      assert.equal(f.path, e.path, `${e.id}: path from host sockets alone`);
      // docker-proxy legs are proven by socket ownership; NAT needs conntrack, which is gone here.
      if (f.path === "dnat") assert.notEqual(f.confidence, "certain", `${e.id}: DNAT certain without conntrack`);
    }
  });

  test(`${dir}: without the containers' socket tables, what is decided is still right`, async () => {
    const b = await bundle(dir);
    b.sockets = b.sockets.filter((s) => !inContainerNetns(b, s.netns));
    const r = await analyzeBundle(b);
    assert.equal(r.host.evidencePresent.containerNetns, false);
    // Client-only containers (cli, cli2) are never a flow's target: a proxy frontend whose client is a container is not a connection to it.
    const targets = new Set(expected.flows.map((e) => nameOf(e.container)).filter(Boolean));
    for (const f of r.flows) if (f.container) assert.ok(targets.has(f.container.name), `flow to ${f.container.name} from ${f.client.ip}:${f.client.port}`);
    for (const e of expected.flows) {
      const f = findFlow(r, e);
      if (!f || e.path === "failed" || f.path === "unknown") continue;
      assert.equal(f.path, e.path, `${e.id}: path without container tables`);
      assert.equal(f.container?.name, nameOf(e.container), `${e.id}: container without container tables`);
    }
  });

  test(`${dir}: without ip addr, the host's addresses are inferred and every flow is decided as with it`, async () => {
    const full = await analyzeBundle(await bundle(dir));
    const b = await bundle(dir);
    b.addresses = [];
    const r = await analyzeBundle(b);
    assert.equal(r.host.evidencePresent.addresses, false);
    for (const e of expected.flows) {
      const want = findFlow(full, e);
      if (!want || want.path === "unknown") continue;
      const f = findFlow(r, e);
      assert.ok(f, `${e.id}: no flow without ip addr`);
      assert.equal(f.path, want.path, `${e.id}: path without ip addr`);
      assert.equal(f.container?.ip ?? null, want.container?.ip ?? null, `${e.id}: container address without ip addr`);
    }
  });

  test(`${dir}: without ip addr nor docker inspect, no flow is given a wrong path`, async () => {
    const b = await bundle(dir);
    b.addresses = [];
    b.containers = [];
    b.networks = [];
    const r = await analyzeBundle(b);
    let decided = 0;
    for (const e of expected.flows) {
      const f = findFlow(r, e);
      if (!f || e.path === "failed" || f.path === "unknown") continue;
      assert.equal(f.path, e.path, `${e.id}: path without ip addr and docker inspect`);
      decided++;
    }
    // with the bridges from Docker's masquerade rules and the gateways from host sockets, the
    // captures with rules keep every flow (lab-noproxy: 3 of 12 before)
    if (["lab-noproxy", "lab28-noproxy", "lab-nohairpin", "lab28-nohairpin", "lab-udp-noproxy", "lab28-udp-noproxy"].includes(dir)) {
      assert.equal(decided, expected.flows.filter((e) => e.path !== "failed").length, "every flow decided");
    }
  });

  test(`${dir}: without docker inspect, containers are known by their address and what is decided is right`, async () => {
    const b = await bundle(dir);
    b.containers = [];
    b.networks = [];
    const r = await analyzeBundle(b);
    assert.equal(r.host.evidencePresent.inspect, false);
    let named = 0;
    for (const e of expected.flows) {
      const f = findFlow(r, e);
      if (!f || e.path === "failed" || f.path === "unknown") continue;
      assert.equal(f.path, e.path, `${e.id}: path without docker inspect`);
      if (f.container && e.container) {
        assert.ok(isAddressName(f.container.name, e.container.ip), `${e.id}: container without docker inspect: ${f.container.name}`);
        assert.equal(f.container.ip, e.container.ip, `${e.id}: container address without docker inspect`);
        named++;
      }
    }
    // every DNAT or docker-proxy target on a bridge, IPv4 or IPv6, is still found, by its address
    const reachable = expected.flows.filter((e) => (e.path === "dnat" || e.path === "docker-proxy") && e.container);
    assert.ok(named >= reachable.length / 2, `only ${named} of ${reachable.length} flows kept their container`);
    // an IPv6 container (lab-ipv6*: docker-proxy's -container-ip, ip6tables DNAT, IPv6 conntrack, on
    // the bridge's IPv6 subnet from ip -6 addr) is known by its address as an IPv4 one is: each flow
    // to it is found, decided and attributed to it
    // the bridges come from ip addr then: a link-local fe80::/64, which every interface has, is no container subnet
    for (const br of r.host.bridges) for (const sub of br.subnets) assert.ok(!/^fe[89ab][0-9a-f]:/i.test(sub), `${br.name}: link-local subnet ${sub}`);
    for (const e of expected.flows) {
      if (e.path === "failed" || !e.container?.ip?.includes(":")) continue;
      const f = findFlow(r, e);
      assert.ok(f, `${e.id}: no flow without docker inspect`);
      assert.equal(f.path, e.path, `${e.id}: path without docker inspect`);
      assert.ok(isAddressName(f.container?.name ?? "", e.container.ip), `${e.id}: IPv6 container without docker inspect: ${f.container?.name}`);
    }
    // one address-only container per container of the capture: two addresses are one only when they are one container's
    const owner = new Map<string, string>();
    for (const c of (expected as { containers?: { name: string; ip: string | null; ip6?: string | null }[] }).containers ?? []) {
      if (c.ip) owner.set(c.ip, c.name);
      if (c.ip6) owner.set(c.ip6, c.name);
    }
    for (const c of r.containers) {
      const names = new Set(c.addresses.map((a) => owner.get(a.ip) ?? `?${a.ip}`));
      assert.equal(names.size, 1, `${c.name} holds the addresses of ${[...names].join(", ")}`);
    }
  });

  test(`${dir}: without socket owners (no -p) the proxy path is never certain`, async () => {
    const b = await bundle(dir);
    for (const s of b.sockets) {
      s.pid = null;
      s.program = null;
    }
    const r = await analyzeBundle(b);
    assert.equal(r.host.evidencePresent.socketOwners, false);
    for (const f of r.flows) {
      if (f.path === "docker-proxy") assert.notEqual(f.confidence, "certain", `${f.client.ip}:${f.client.port} claimed certain proxy without owners`);
      if (f.path === "direct" && f.client.kind === "host") {
        assert.ok(f.confidence !== "certain" || f.evidence.some((x) => /conntrack/.test(x.note ?? "")), "host-direct certain without proof");
      }
    }
    for (const e of expected.flows) {
      const f = findFlow(r, e);
      if (!f || e.path === "failed" || f.path === "unknown") continue;
      if (f.confidence === "certain") assert.equal(f.path, e.path, `${e.id}: certain but wrong`);
    }
  });
}

test("analyze --format csv has the contracted columns, json the analysis@1 keys", async () => {
  const csv = await runCli(["analyze", "--format", "csv", "samples/lab-proxy"]);
  assert.equal(csv.code, 0, csv.stderr);
  const header = csv.stdout.split("\r\n")[0]!;
  assert.ok(
    header.startsWith("host,container,container_ip,container_port,published_ip,published_port,client_ip,client_port,client_kind,path,snat,state,confidence,explanation"),
    header,
  );
  const json = await runCli(["analyze", "--format", "json", "samples/lab-noproxy"]);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.schema, "natlens/analysis@1.2");
  assert.equal(doc.host.userlandProxy, "off");
  const f = doc.flows[0];
  for (const key of ["proto", "state", "path", "snat", "client", "published", "proxy", "container", "confidence", "explanation", "evidence"]) assert.ok(key in f, key);
  for (const key of ["ip", "port", "kind", "container"]) assert.ok(key in f.client, key);
});

test("trace names the rule that keeps a container's connection from being DNATed", async () => {
  const r = await runCli(["trace", "samples/lab-proxy/commands/iptables-save_-c", "--addrs", "samples/lab-proxy/commands/ip_-o_addr", "--src", "172.17.0.4", "--dst", "198.51.100.1:5000", "--in", "docker0"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nat DOCKER\s+rule 2 \(samples\/lab-proxy\/commands\/iptables-save_-c:49\)\s+-i docker0 -j RETURN/);
  assert.match(r.stdout, /outcome: no DNAT, delivered locally/);
});

test("trace without routes names an unknown interface in words (trace --help's second example)", async () => {
  const r = await runCli(["trace", "samples/lab28-noproxy/commands/nft_list_ruleset", "--src", "127.0.0.1", "--dst", "127.0.0.1:8080", "--local"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /reply 172\.17\.0\.2:80 -> 127\.0\.0\.1, in an unknown interface:/);
  assert.match(r.stdout, /unknown: net\.ipv4\.conf\.<interface>\.route_localnet=1 \(not captured; assumed 1\)/);
  assert.doesNotMatch(r.stdout, /, in :|conf\.\./);
});

test("analyze explains proxy and dropped flows with the deciding rule", async () => {
  const r = await analyzeBundle(await bundle("lab28-noproxy"));
  const stalled = r.flows.find((f) => f.client.port === 41003)!;
  assert.equal(stalled.outcome, "failed");
  assert.match(stalled.explanation, /drop it: filter DOCKER-ISOLATION-STAGE-2 rule .*iptables-save_-c:\d+ `-A DOCKER-ISOLATION-STAGE-2 -o br-[0-9a-f]{12} -j DROP`/);
  const proxied = (await analyzeBundle(await bundle("lab-proxy"))).flows.find((f) => f.client.port === 40011)!;
  assert.match(proxied.explanation, /Not DNATed because nat OUTPUT sends only other destinations to DOCKER: .*! -d 127\.0\.0\.0\/8/);
});

test("analyze text answers why netstat shows no connections to docker-proxy", async () => {
  const r = await runCli(["analyze", "samples/lab-proxy"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /docker-proxy for 0\.0\.0\.0:8080 \(pid \d+\) relays 4 connections from .*the 3 other .* clients were DNATed straight to web \(172\.17\.0\.2:80\) by the kernel, so the host's socket table shows no docker-proxy connection for them/);
  assert.match(r.stdout, /userland-proxy: on/);
  const off = await runCli(["analyze", "samples/lab-noproxy"]);
  assert.match(off.stdout, /dockerd itself holds \d+ published-port listeners/);
});

test("--netns NAME=FILE assigns a socket table that has no pid in its path to a container", async () => {
  const { mkdtempSync, copyFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-netns-"));
  // web's own socket table, saved under a name that says nothing about its namespace
  const web = path.join(dir, "web-tcp6.txt");
  copyFileSync("samples/lab-proxy/proc/32313/net/tcp6", web);
  const inputs = ["samples/lab-proxy/docker/docker_inspect_containers", "samples/lab-proxy/proc/net/nf_conntrack", web];
  const without = await runCli(["analyze", "--format", "json", ...inputs]);
  const withNetns = await runCli(["analyze", "--format", "json", "--netns", `web=${web}`, ...inputs]);
  assert.equal(withNetns.code, 0, withNetns.stderr);
  const served = (out: string) => JSON.parse(out).flows.filter((f: { evidence: { note?: string }[] }) => f.evidence.some((e) => e.note === "server socket in web")).length;
  assert.equal(served(without.stdout), 0, "without --netns the file reads as the host's table");
  assert.ok(served(withNetns.stdout) >= 8, `server sockets of web found: ${served(withNetns.stdout)}`);
});

test("analyze of inputs that hold no capture natlens reads is an error, exit 2", async () => {
  const r = await runCli(["analyze", "test/fixtures/_reject/handwritten-prose.txt"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /none of the inputs is a capture natlens reads: test\/fixtures\/_reject\/handwritten-prose\.txt \(format not recognised\)\n/);
  // an empty file is named too, and why it was not read
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-empty-"));
  try {
    const files = ["a", "b", "c", "d"].map((n) => path.join(dir, `${n}.txt`));
    for (const f of files) writeFileSync(f, "");
    const empty = await runCli(["analyze", ...files]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, new RegExp(`none of the inputs is a capture natlens reads: ${files[0]} \\(empty\\), ${files[1]} \\(empty\\), ${files[2]} \\(empty\\), and 1 more\n`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a socket table alone (ss -tanpeiO of lab-proxy): docker-proxy's owners give the mode, the published ports and its flows", async () => {
  const r = await runCli(["analyze", "--to", "json", "samples/lab-proxy/commands/ss_-tanpeiO"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.host.userlandProxy, "on");
  const expected = JSON.parse(readFileSync("samples/lab-proxy/EXPECTED.json", "utf8")) as Expected;
  let proxied = 0;
  for (const e of expected.flows.filter((x) => x.path === "docker-proxy" && x.proto === "tcp")) {
    const f = doc.flows.find((x: { client: { port: number } }) => x.client.port === e.client.port);
    if (!f) continue;
    assert.equal(f.path, "docker-proxy", e.id);
    assert.ok(Number.isInteger(f.proxy?.pid), `${e.id}: the docker-proxy pid`);
    assert.equal(f.container?.ip, e.container?.ip, `${e.id}: the container docker-proxy dials`);
    proxied++;
  }
  assert.ok(proxied >= 5, `docker-proxy flows found from ss alone: ${proxied}`);
  // no bridge is known: a client that is not the host's is not called external
  for (const f of doc.flows) assert.notEqual(f.client.kind, "external", `${f.client.ip}:${f.client.port}`);
});

test("analyze -v prints a summary line per input, as convert -v does", async () => {
  const r = await runCli(["analyze", "-v", "samples/lab-proxy"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^natlens: samples\/lab-proxy\/commands\/ps_-efww: ps: \d+ lines, \d+ records, \d+ ignored, 0 skipped$/m);
  const quiet = await runCli(["analyze", "samples/lab-proxy"]);
  assert.doesNotMatch(quiet.stderr, /records, \d+ ignored/);
});
