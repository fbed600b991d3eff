/**
 * Answers a user would trust, on partial captures: the wrong answers a
 * reviewer found running analyze on real captures of a few files each
 * (Debian 12, Docker 20.10), rebuilt from the repo's own lab samples (real
 * captures: a subset of a sample's files) and, where a sample has no such
 * case, from hand-written fixtures under test/fixtures/_partial/ (their
 * README names the capture each one mirrors).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "./_io.js";
import type { Flow } from "../src/analyze/flow-types.js";

interface Report {
  flows: Flow[];
  findings: { id: string; message: string; evidence: { file: string; line: number }[] }[];
}

async function analyze(inputs: string[]): Promise<Report> {
  const r = await runCli(["analyze", "--to", "json", ...inputs]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

const V6 = "samples/lab-ipv6/commands";
const isV6 = (ip: string | undefined) => !!ip && ip.includes(":");
const isV4 = (ip: string | undefined) => !!ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip);

// A. lab-ipv6 (ip6tables on): host client [2001:db8:1::1]:40034 dialled [2001:db8:1::1]:8080, which
// ip6tables DNATed to web's IPv6 address (EXPECTED.json). Without the ip6tables dump natlens knows only
// the IPv4 DNAT rule for 8080, and that rule never applies to an IPv6 packet (docker-paths §3, rows 8, 8b).
test("A: an IPv6 client is never DNATed to an IPv4 container address; without ip6tables its path is unknown", async () => {
  const r = await analyze([`${V6}/ss_-tanpeiO`, `${V6}/iptables-save_-c`, `${V6}/ip_-o_addr`]);
  for (const f of r.flows) {
    if (f.path === "dnat" && isV6(f.published?.ip)) assert.ok(!isV4(f.container?.ip), `IPv6 flow DNATed to an IPv4 address: ${f.explanation}`);
  }
  const f = r.flows.find((x) => x.client.port === 40034)!;
  assert.ok(f, "the host client's flow");
  assert.equal(f.path, "unknown");
  assert.notEqual(f.container?.ip, "172.17.0.2");
  assert.match(f.explanation, /IPv6 nat rules are not in the bundle/);
  for (const h of r.findings) assert.doesNotMatch(h.message, /\[::\]:8080.*DNATed.*172\.17\.0\.2/, h.message);
});

test("A: userland-proxy off, no ip6tables dump: neither the stalled [::1] client nor the host client is DNATed to IPv4", async () => {
  // lab-ipv6-noproxy: [::1]:40033 hangs in SYN_SENT (nothing serves [::1] without the proxy), 40034 was DNATed by ip6tables
  const N6 = "samples/lab-ipv6-noproxy/commands";
  const r = await analyze([`${N6}/ss_-tanpeiO`, `${N6}/iptables-save_-c`, `${N6}/ip_-o_addr`]);
  for (const port of [40033, 40034]) {
    const f = r.flows.find((x) => x.client.port === port)!;
    assert.ok(f, `flow of client port ${port}`);
    assert.notEqual(f.path, "dnat", f.explanation);
    assert.ok(!isV4(f.container?.ip), `${port}: ${JSON.stringify(f.container)}`);
  }
  assert.equal(r.flows.find((x) => x.client.port === 40033)!.outcome, "failed");
});

test("A: with the ip6tables dump the IPv6 client is DNATed to the container's IPv6 address", async () => {
  const r = await analyze([`${V6}/ss_-tanpeiO`, `${V6}/iptables-save_-c`, `${V6}/ip6tables-save_-c`, `${V6}/ip_-o_addr`]);
  const f = r.flows.find((x) => x.client.port === 40034)!;
  assert.equal(f.path, "dnat");
  assert.equal(f.container?.ip, "fd00:17::242:ac11:2");
  assert.equal(f.confidence, "possible");
  // the docker-proxy listener's finding follows the flow's confidence: no conntrack proves the DNAT
  const listener = r.findings.find((h) => h.id.startsWith("proxy-") && h.message.includes("[::]:8080"));
  assert.ok(listener, r.findings.map((h) => h.message).join("\n"));
  assert.doesNotMatch(listener.message, /was DNATed straight/);
  assert.match(listener.message, /1 other host client may have been DNATed to <fd00:17::242:ac11:2>/);
});

test("A: the IPv6 nat table captured without a rule for the port: docker-proxy (userland-proxy on), not DNAT", async () => {
  // lab-ipv6's ip6tables dump without its DNAT rules for 8080: Docker with ip6tables off keeps the nat table, no rule
  const { mkdtempSync, readFileSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-v6-"));
  const v6 = path.join(dir, "ip6tables-save_-c");
  writeFileSync(v6, readFileSync(`${V6}/ip6tables-save_-c`, "utf8").split("\n").filter((l) => !/--dport 8080 .*-j DNAT/.test(l)).join("\n"));
  const r = await analyze([`${V6}/ss_-tanpeiO`, `${V6}/iptables-save_-c`, v6, `${V6}/ip_-o_addr`]);
  const f = r.flows.find((x) => x.client.port === 40034)!;
  assert.equal(f.path, "docker-proxy");
  assert.notEqual(f.container?.ip, "172.17.0.2");
  assert.match(f.explanation, /no IPv6 DNAT rule for port 8080/);
});
