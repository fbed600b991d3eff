/**
 * Every finding's check() on the real samples and on reduced variants of them
 * (records or flows taken away), one positive and one negative case at least
 * per finding; the last test checks that every registered finding has both.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadBundle, type Bundle } from "../src/analyze/bundle.js";
import { buildModel, type HostModel } from "../src/analyze/model.js";
import { attribute } from "../src/analyze/flows.js";
import { explainFlows } from "../src/analyze/explain.js";
import type { Flow } from "../src/analyze/flow-types.js";
import { FINDINGS } from "../src/findings/registry.js";
import type { FindingModule, Hit } from "../src/findings/types.js";
import { predictFlows } from "../src/whatif/predict.js";

const bundles = new Map<string, Bundle>();
/** A sample's bundle (a fresh copy), changed by `reduce`, through the stages before findings. */
async function stages(sample: string, reduce?: (b: Bundle) => void): Promise<{ model: HostModel; flows: Flow[] }> {
  let b = bundles.get(sample);
  if (!b) bundles.set(sample, (b = await loadBundle([path.join("samples", sample)], { netnsOverrides: new Map() })));
  const copy: Bundle = { ...structuredClone({ ...b, sources: new Map() }), sources: b.sources };
  reduce?.(copy);
  const model = buildModel(copy);
  const flows = explainFlows(model, attribute(model));
  return { model, flows };
}

const covered = new Map<string, Set<"positive" | "negative">>();
function finding(id: string): FindingModule {
  const f = FINDINGS.find((x) => x.meta.id === id);
  assert.ok(f, `no finding ${id} registered`);
  return f;
}
/** A test of `id` that expects findings (positive) or none (negative) from check(). */
function positive(id: string, name: string, run: (check: FindingModule["check"]) => Promise<void>): void {
  (covered.get(id) ?? covered.set(id, new Set()).get(id)!).add("positive");
  test(`finding ${id}: positive: ${name}`, () => run(finding(id).check));
}
function negative(id: string, name: string, input: () => Promise<{ model: HostModel; flows: Flow[] }>): void {
  (covered.get(id) ?? covered.set(id, new Set()).get(id)!).add("negative");
  test(`finding ${id}: negative: ${name}`, async () => {
    const { model, flows } = await input();
    const hits = finding(id).check(model, flows);
    assert.deepEqual(
      hits.map((h) => h.message),
      [],
    );
  });
}
const only = (hits: Hit[], id: string) => {
  assert.ok(hits.length > 0, `no ${id} finding`);
  for (const h of hits) {
    assert.equal(h.id, id);
    assert.equal(h.severity, finding(id).meta.severity);
  }
  return hits;
};
const withoutProxyFlows = async (sample: string) => {
  const s = await stages(sample);
  return { model: s.model, flows: s.flows.filter((f) => f.path !== "docker-proxy") };
};

positive("userland-proxy", "lab-proxy: on, from dockerd's flag and the docker-proxy processes", async (check) => {
  const { model, flows } = await stages("lab-proxy");
  const [h] = only(check(model, flows), "userland-proxy");
  assert.match(h!.message, /^userland-proxy is on: dockerd was started with --userland-proxy=true/);
  assert.ok(h!.evidence.length > 0);
});
positive("userland-proxy", "lab28-noproxy: off", async (check) => {
  const { model, flows } = await stages("lab28-noproxy");
  assert.match(only(check(model, flows), "userland-proxy")[0]!.message, /^userland-proxy is off: dockerd was started with --userland-proxy=false/);
});
test("finding userland-proxy: negative: without processes, sockets or rules it claims no mode and cites nothing", async () => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    b.processes = [];
    b.sockets = [];
    b.rules = [];
    b.chains = [];
  });
  const hits = finding("userland-proxy").check(model, flows);
  assert.deepEqual(
    hits.map((h) => [h.message, h.evidence.length]),
    [["userland-proxy is unknown: no evidence in the bundle", 0]],
  );
  covered.get("userland-proxy")!.add("negative");
});

positive("proxy-idle-dnat", "lab-proxy without its docker-proxy flows: the 8080 listener idles, its clients were DNATed", async (check) => {
  const { model, flows } = await withoutProxyFlows("lab-proxy");
  const hits = only(check(model, flows), "proxy-idle-dnat");
  const h = hits.find((x) => x.message.startsWith("docker-proxy for 0.0.0.0:8080"));
  assert.ok(h, hits.map((x) => x.message).join("\n"));
  assert.match(h.message, /has 0 connections: all 3 host\/external clients were DNATed straight to web \(172\.17\.0\.2:80\)/);
  assert.equal(h.evidence[0]!.note, "docker-proxy listener");
});
positive("proxy-idle-dnat", "lab-proxy without its docker-proxy flows, the DNATed ones made less sure: the wording follows the least sure flow", async (check) => {
  const { model, flows } = await withoutProxyFlows("lab-proxy");
  const of8080 = (x: Flow) => x.path === "dnat" && x.published?.port === 8080 && !x.published.ip.includes(":");
  const message = (change: (f: Flow) => Flow) => check(model, flows.map((f) => (of8080(f) ? change(f) : f))).find((x) => x.message.startsWith("docker-proxy for 0.0.0.0:8080"))!.message;
  let first = true;
  const one = (change: Partial<Flow>) => (f: Flow) => {
    const out = first ? { ...f, ...change } : f;
    first = false;
    return out;
  };
  assert.match(message(one({ confidence: "likely" })), /all 3 host\/external clients were most likely DNATed to web \(172\.17\.0\.2:80\); only a conntrack entry would prove it/);
  first = true;
  assert.match(message(one({ confidence: "possible" })), /all 3 host\/external clients may have been DNATed to web/);
  first = true;
  assert.match(message(one({ outcome: "failed" })), /all 3 host\/external clients were DNATed straight to web \(172\.17\.0\.2:80\), but 1 of them never connected; the kernel rewrote them/);
  const failed = message((f) => ({ ...f, outcome: "failed", confidence: "possible" }));
  assert.match(failed, /all 3 host\/external clients may have been DNATed to web \(172\.17\.0\.2:80\), but none of them ever connected/);
  assert.doesNotMatch(failed, /DNATed straight/);
});
negative("proxy-idle-dnat", "lab-proxy: every listener with DNATed clients also relays", () => stages("lab-proxy"));
negative("proxy-idle-dnat", "lab28-noproxy: no docker-proxy listeners", () => stages("lab28-noproxy"));

positive("proxy-busy", "lab-proxy: 8080 relays container and host clients, 3 others DNATed", async (check) => {
  const { model, flows } = await stages("lab-proxy");
  const h = only(check(model, flows), "proxy-busy").find((x) => x.message.startsWith("docker-proxy for 0.0.0.0:8080"));
  assert.ok(h);
  assert.match(h.message, /relays 4 connections from .* clients, and web sees the bridge gateway for these, not the client; the 3 other .* clients were DNATed straight to web/);
});
negative("proxy-busy", "lab-proxy without its docker-proxy flows", () => withoutProxyFlows("lab-proxy"));
negative("proxy-busy", "lab-noproxy: no docker-proxy", () => stages("lab-noproxy"));

positive("dockerd-placeholders", "lab-noproxy: dockerd holds the published ports", async (check) => {
  const { model, flows } = await stages("lab-noproxy");
  const [h] = only(check(model, flows), "dockerd-placeholders");
  assert.match(h!.message, /^dockerd itself holds \d+ published-port listeners \(.*:8080.*\): with userland-proxy off they only reserve the port/);
  assert.ok(h!.evidence.every((e) => e.note === "placeholder listener"));
});
negative("dockerd-placeholders", "lab-proxy: docker-proxy holds them", () => stages("lab-proxy"));

positive("published-no-listener", "lab-proxy without the host's listeners on 8080 (ss, netstat, /proc/net/tcp*)", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    b.sockets = b.sockets.filter((s) => !(s.state === "LISTEN" && s.localPort === 8080 && (s.netns === null || s.netns === "host")));
  });
  const hits = only(check(model, flows), "published-no-listener");
  assert.ok(hits.some((h) => /^web publishes 0\.0\.0\.0:8080\/tcp but no host socket listens on it/.test(h.message)), hits.map((h) => h.message).join("\n"));
});
negative("published-no-listener", "lab-proxy: every published port has its docker-proxy", () => stages("lab-proxy"));
negative("published-no-listener", "lab-proxy with no host socket table at all: nothing to tell from", () =>
  stages("lab-proxy", (b) => {
    b.sockets = b.sockets.filter((s) => s.netns !== null && s.netns !== "host");
  }),
);

positive("published-no-dnat", "lab-proxy without its DNAT rules", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    b.rules = b.rules.filter((r) => r.target !== "DNAT");
  });
  const hits = only(check(model, flows), "published-no-dnat");
  assert.ok(hits.some((h) => h.message === "web publishes 8080/tcp but no DNAT rule for it was found: every connection to it goes through docker-proxy (or fails without it)"), hits.map((h) => h.message).join("\n"));
});
negative("published-no-dnat", "lab-proxy: every published IPv4 port has its DNAT rule", () => stages("lab-proxy"));
negative("published-no-dnat", "lab-proxy without any rules: nothing to tell from", () =>
  stages("lab-proxy", (b) => {
    b.rules = [];
    b.chains = [];
  }),
);

positive("stale-dnat-rule", "lab-proxy with web left out of docker inspect and docker ps", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    b.containers = b.containers.filter((c) => c.name !== "web");
  });
  const hits = only(check(model, flows), "stale-dnat-rule");
  assert.ok(hits.some((h) => h.message.startsWith("DNAT rule for port 8080/tcp points to 172.17.0.2, which no container in the bundle has")), hits.map((h) => h.message).join("\n"));
  assert.ok(hits.every((h) => h.evidence.every((e) => e.note === "DNAT rule")));
});
negative("stale-dnat-rule", "lab-proxy: every DNAT target is a container", () => stages("lab-proxy"));
// docker ps names containers and their ports, not their addresses: a rule to an address no inspect shows is not stale for that
negative("stale-dnat-rule", "lab-proxy with docker ps and no docker inspect: each rule's port is a named container's", () =>
  stages("lab-proxy", (b) => {
    b.containers = b.containers.filter((c) => c.format === "docker-ps");
  }),
);
positive("stale-dnat-rule", "lab-proxy with docker ps only, web left out: whether the rules to 172.17.0.2 are stale cannot be checked", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    b.containers = b.containers.filter((c) => c.format === "docker-ps" && c.name !== "web");
  });
  const hits = only(check(model, flows), "stale-dnat-rule");
  assert.deepEqual(
    hits.map((h) => h.message.replace(/: .*/, "")),
    ["DNAT rule for port 8080/tcp points to 172.17.0.2, which cannot be checked", "DNAT rule for port 5353/udp points to 172.17.0.2, which cannot be checked"],
  );
  for (const h of hits) assert.doesNotMatch(h.message, /no container in the bundle has/);
  assert.match(hits[0]!.message, /: cli2, api, cli and 1 more have no address in the bundle \(docker ps, no docker inspect of them\), and no container in it publishes port 8080\/tcp: a stale rule, or a container the bundle does not show$/);
});

positive("missing-evidence", "lab-proxy without conntrack and ip addr", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    b.conntrack = [];
    b.addresses = [];
  });
  assert.deepEqual(
    only(check(model, flows), "missing-evidence").map((h) => h.message),
    ["no conntrack dump: NAT cannot be proven, paths are at best likely", "no ip addr: the host's local addresses were inferred from gateways, host sockets and conntrack"],
  );
});
positive("missing-evidence", "lab-proxy with only its `iptables -t nat -nvL` and `ip6tables -t nat -nvL` listings", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => {
    const natListing = (r: { source: { file: string } }) => /-t_nat_-nvL/.test(r.source.file);
    b.rules = b.rules.filter(natListing);
    b.chains = b.chains.filter(natListing);
    b.ruleDumps = b.ruleDumps.filter((d) => /-t_nat_-nvL/.test(d.file));
  });
  assert.deepEqual(
    only(check(model, flows), "missing-evidence").map((h) => h.message),
    [
      "the IPv4 raw and filter tables were not captured (no iptables-save or nft list ruleset of every table): what they do to a packet is unknown, and traces that pass them say so",
      "the IPv6 raw and filter tables were not captured (no ip6tables-save or nft list ruleset of every table): what they do to a packet is unknown, and traces that pass them say so",
    ],
  );
});
negative("missing-evidence", "lab-proxy: a full bundle", () => stages("lab-proxy"));

/** lab-proxy made into a Kubernetes node's bundle: no dockerd, docker-proxy or docker inspect; `engine` decides what runs instead. */
function notDocker(b: Bundle, engine: { process?: string; plugins?: string[] }): void {
  const template = b.processes.find((p) => p.dockerd)!;
  b.processes = b.processes.filter((p) => !p.dockerd && !p.dockerProxy && p.command !== "containerd");
  if (engine.process) b.processes.push({ ...template, dockerd: null, command: engine.process, args: `/usr/bin/${engine.process}` });
  b.containers = [];
  b.enginePlugins = engine.plugins ?? [];
}
positive("other-engine", "lab-proxy as a CRI-O node (the crio daemon in ps)", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => notDocker(b, { process: "crio" }));
  const hits = only(check(model, flows), "other-engine");
  assert.deepEqual(
    hits.map((h) => h.message),
    [
      "this host runs CRI-O, not Docker (the crio daemon runs): there is no docker-proxy and no Docker port publishing to explain; ports a Kubernetes node exposes (hostPort through the CNI portmap plugin, NodePort through kube-proxy) are DNAT rules like any other, and flows through them are attributed from conntrack and the rules the bundle holds",
    ],
  );
  assert.equal(hits[0]!.evidence[0]!.note, "crio (CRI-O)");
});
positive("other-engine", "lab-proxy as a containerd node known from sosreport's plugins only", async (check) => {
  const { model, flows } = await stages("lab-proxy", (b) => notDocker(b, { plugins: ["containerd", "kubernetes"] }));
  assert.match(only(check(model, flows), "other-engine")[0]!.message, /^this host runs containerd, not Docker \(sosreport holds the containerd, kubernetes plugin output\)/);
});
negative("other-engine", "lab-proxy: Docker", () => stages("lab-proxy"));
negative("other-engine", "lab-podman: Podman is explained like Docker (netavark's rules)", () => stages("lab-podman"));
negative("other-engine", "lab-proxy with sosreport's crio plugin output but dockerd running: Docker", () => stages("lab-proxy", (b) => void (b.enginePlugins = ["crio"])));
positive("what-if", "lab-proxy with --what-if userland-proxy=false: the [::1] and the cross-bridge clients would break", async (check) => {
  const { model, flows } = await stages("lab-proxy");
  const hits = only(check(model, predictFlows(model, flows, "userland-proxy=false")), "what-if");
  assert.equal(hits.length, 1);
  assert.match(hits[0]!.message, /^what if userland-proxy=false: 3 flows would break \(IPv6 loopback: 1, isolation: 2\); beyond the capture: \[::\]:5000\/tcp \(api\): .*\. IPv6 loopback: tcp host ::1 -> \[::1\]:8080 \(web\); isolation: /);
  assert.ok(hits[0]!.evidence.some((e) => e.note === "the rule that would drop it"), JSON.stringify(hits[0]!.evidence));
});
negative("what-if", "lab-proxy without --what-if: no flow carries a what-if", () => stages("lab-proxy"));

test("every registered finding has a positive and a negative test, and a documented meta", () => {
  for (const f of FINDINGS) {
    const { id, severity, description, docs } = f.meta;
    assert.match(id, /^[a-z]+(-[a-z]+)*$/);
    assert.ok(severity === "info" || severity === "warning", id);
    assert.ok(description.length > 30, `${id}: describe it`);
    assert.ok(docs.length > 0, `${id}: say where it is documented`);
    assert.deepEqual([...(covered.get(id) ?? [])].sort(), ["negative", "positive"], `finding ${id} needs a positive and a negative test`);
  }
  assert.equal(new Set(FINDINGS.map((f) => f.meta.id)).size, FINDINGS.length, "finding ids are unique");
});
