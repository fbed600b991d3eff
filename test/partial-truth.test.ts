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
  // [::1] through docker-proxy: the [::] proxy (pid 4440) relays to web's IPv6 address, which ss shows as its own
  // connection ([fd00:17::1]:59338 -> [fd00:17::242:ac11:2]:80, proxy-sockets.ts); the IPv4 DNAT rule's address is not it
  const lo6 = r.flows.find((x) => x.client.port === 40033)!;
  assert.equal(lo6.path, "docker-proxy");
  assert.equal(lo6.container?.ip, "fd00:17::242:ac11:2");
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

// B. docker ps names the containers and their published ports, not their addresses: the DNAT rules to
// web and admin are theirs (the report groups flows under `web 172.17.0.2:80`), not stale.
test("B: with docker ps and no docker inspect no DNAT rule is called stale", async () => {
  const P = "samples/lab-proxy";
  for (const rules of [`${P}/commands/iptables-save_-c`, `${P}/commands/iptables_-t_nat_-nvL_--line-numbers`]) {
    const r = await analyze([`${P}/commands/netstat_-tanpeW`, rules, `${P}/docker/docker_ps_--no-trunc`]);
    assert.ok(r.flows.some((f) => f.container?.name === "web" && f.container.ip === "172.17.0.2"));
    assert.deepEqual(r.findings.filter((h) => h.id === "stale-dnat-rule").map((h) => h.message), []);
  }
});

// C. A container on two networks: inspect alone does not say which address a published port leads to;
// docker-proxy's command line and the DNAT rule do (docker-paths §4.5 step 1). admin is also on appnet
// (172.20.0.2, listed first); docker-proxy 32364 and the DNAT rule send 127.0.0.1:9090 to 172.17.0.3:80.
test("C: a container on two networks: the published port leads where docker-proxy and the DNAT rule say", async () => {
  const P = "samples/lab-proxy/commands";
  const r = await analyze([`${P}/ss_-tanpeiO`, `${P}/ps_-efww`, `${P}/iptables-save_-c`, `${P}/ip_-o_addr`, "test/fixtures/_bundles/handwritten-two-networks/docker_inspect_containers"]);
  const flows = r.flows.filter((f) => f.published?.port === 9090);
  assert.ok(flows.length > 0);
  for (const f of flows) {
    assert.deepEqual(f.container, { name: "admin", ip: "172.17.0.3", port: 80 }, f.explanation);
    if (f.path === "docker-proxy") assert.equal(f.proxy?.pid, 32364, f.explanation);
  }
  const published = (r as unknown as { published: { hostPort: number; containerIp: string | null; proxyPids: number[] }[] }).published.filter((p) => p.hostPort === 9090);
  assert.deepEqual(published.map((p) => [p.containerIp, p.proxyPids]), [["172.17.0.3", [32364]]]);
});

// C. A docker-proxy frontend whose owner the socket table does not show (/proc/net/tcp has no owners; the
// reviewer's was an orphaned FIN-WAIT-2 socket): the one docker-proxy ps shows for the address and port is it.
test("C: an owner-less docker-proxy frontend is the docker-proxy ps shows for its published address and port", async () => {
  const P = "samples/lab-proxy";
  const r = await analyze([`${P}/proc/net/tcp`, `${P}/proc/net/tcp6`, `${P}/commands/ps_-efww`, `${P}/commands/iptables-save_-c`, "test/fixtures/_bundles/handwritten-two-networks/docker_inspect_containers"]);
  const f = r.flows.find((x) => x.published?.port === 9090 && x.path === "docker-proxy")!;
  assert.ok(f, "the 9090 flow through docker-proxy");
  assert.equal(f.proxy?.pid, 32364, f.explanation);
  assert.deepEqual(f.container, { name: "admin", ip: "172.17.0.3", port: 80 });
  // one pid per published port: 8080 has two docker-proxy processes, 0.0.0.0 (32243) and :: (32249)
  for (const x of r.flows.filter((y) => y.published?.port === 8080 && y.path === "docker-proxy")) assert.equal(x.proxy?.pid, x.published!.ip.includes(":") ? 32249 : 32243, x.explanation);
});

// D. lab-proxy's TCP table alone (ss -tanpeiO) with docker inspect: web publishes 5353/udp, whose
// docker-proxy listeners are in the UDP table (ss -uanpe) the bundle lacks.
test("D: a published UDP port with no UDP socket table in the bundle: the table is missing, not the listener", async () => {
  const P = "samples/lab-proxy";
  const r = await analyze([`${P}/commands/ss_-tanpeiO`, `${P}/docker/docker_inspect_containers`]);
  const hits = r.findings.filter((h) => h.id === "published-no-listener");
  assert.deepEqual(
    hits.map((h) => h.message),
    ["web publishes 0.0.0.0:5353/udp and [::]:5353/udp, but the bundle has no UDP socket table of the host (ss -uanp, netstat -uanp or /proc/net/udp*): whether a docker-proxy or dockerd placeholder listens on them cannot be checked"],
  );
  // each line cited once (inspect's record line stands for the port in Ports and in PortBindings)
  for (const h of r.findings) assert.equal(new Set(h.evidence.map((e) => `${e.file}:${e.line}`)).size, h.evidence.length, h.message);
  const withUdp = await analyze([`${P}/commands/ss_-tanpeiO`, `${P}/commands/ss_-uanpe`, `${P}/docker/docker_inspect_containers`]);
  assert.deepEqual(withUdp.findings.filter((h) => h.id === "published-no-listener"), []);
});

test("D: two ps captures of one host list each docker-proxy once", async () => {
  const P = "samples/lab-proxy/commands";
  const r = await runCli(["analyze", `${P}/ss_-tanpeiO`, `${P}/ps_-efww`, "test/fixtures/_bundles/handwritten-ps-aux/ps_aux"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /userland-proxy: dockerd was started with --userland-proxy=true; 7 docker-proxy processes run/);
});
