/** ss parser: detection scores against look-alikes, and row shapes that golden files cover poorly. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "../src/parse.js";
import { ss } from "../src/parsers/ss/index.js";
import type { SocketRecord } from "../src/types.js";

async function sockets(text: string) {
  const r = await parse(text, { type: "ss" });
  return { ...r, sockets: r.records as SocketRecord[] };
}

test("ss sniff: its own shapes score high, look-alikes stay below 0.5", () => {
  const header = "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess";
  assert.ok(ss.sniff([header, "LISTEN 0      4096         0.0.0.0:8443      0.0.0.0:*"]) >= 0.9);
  assert.ok(ss.sniff(["Recv-Q Send-Q Local Address:Port Peer Address:Port Process", "0 0 127.0.0.1:1 127.0.0.1:2"]) >= 0.9);
  // ss -H: no header, row shapes only
  assert.ok(ss.sniff(['tcp   LISTEN 0      4096  0.0.0.0:8080  0.0.0.0:*  users:(("docker-proxy",pid=11673,fd=4))']) >= 0.5);
  assert.ok(ss.sniff(["ESTAB 0 0 [::1]:6000 [::1]:43362", "LISTEN 0 16 *:6000 *:*"]) >= 0.5);
  assert.ok(ss.sniff(["0      0      198.51.100.1:37098     198.51.100.2:80"]) >= 0.5);
  // ss -s
  assert.ok(ss.sniff(["Total: 125", "TCP:   38 (estab 14, closed 11, orphaned 1, timewait 1)", "Transport Total     IP        IPv6", "RAW\t  0         0         0"]) < 0.5);
  // netstat (net-tools and BusyBox)
  assert.ok(
    ss.sniff([
      "Active Internet connections (servers and established)",
      "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name",
      "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      11673/docker-proxy",
      "tcp6       0      0 :::8080                 :::*                    LISTEN      11686/docker-proxy",
    ]) < 0.5,
  );
  assert.ok(ss.sniff(["tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN"]) < 0.5);
  // /proc/net/tcp and conntrack
  assert.equal(ss.sniff(["   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23465 1 0000000000000000 100 0 0 10 0"]), 0);
  assert.equal(ss.sniff(["tcp      6 431999 ESTABLISHED src=203.0.113.10 dst=203.0.113.10 sport=54836 dport=8080"]), 0);
});

test("ss forced on `ss -s` skips every line with E_SS_SUMMARY", async () => {
  const r = await sockets("Total: 55\nTCP:   114 (estab 11, closed 94, orphaned 2, timewait 1)\n\nTransport Total     IP        IPv6\nRAW\t  1         1         0\nTCP\t  20        11        9\n");
  assert.equal(r.sockets.length, 0);
  assert.equal(r.summary.skippedBy["E_SS_SUMMARY"], 5);
  assert.ok(r.diagnostics.every((d) => d.code === "E_SS_SUMMARY" && d.hint));
});

test("ss process tuples: several, tid= and proc_ctx= with commas, old unlabeled form", async () => {
  const r = await sockets(
    [
      "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
      'LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=1854,fd=6),("nginx",pid=1853,fd=6))',
      'LISTEN 0 511 0.0.0.0:81 0.0.0.0:* users:(("app",pid=7,tid=9,proc_ctx=system_u:system_r:unconfined_t:s0-s0:c0,c5,fd=3),("app",pid=7,tid=10,proc_ctx=x,fd=3))',
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",1123,3))',
    ].join("\n"),
  );
  assert.deepEqual(
    r.sockets.map((s) => s.processes),
    [
      [
        { pid: 1854, program: "nginx", fd: 6 },
        { pid: 1853, program: "nginx", fd: 6 },
      ],
      [{ pid: 7, program: "app", fd: 3 }],
      [{ pid: 1123, program: "sshd", fd: 3 }],
    ],
  );
  assert.deepEqual(
    r.sockets.map((s) => [s.pid, s.program]),
    [
      [1854, "nginx"],
      [7, "app"],
      [1123, "sshd"],
    ],
  );
});

test("ss without Netid: ESTAB rows wait for a UDP-only state and keep their order", async () => {
  const r = await sockets(
    [
      "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess",
      "ESTAB  0      0          127.0.0.1:40920    127.0.0.1:5555",
      "ESTAB  0      0          127.0.0.1:40921    127.0.0.1:5555",
      "UNCONN 0      0            0.0.0.0:5353       0.0.0.0:*",
    ].join("\n"),
  );
  assert.deepEqual(
    r.sockets.map((s) => [s.source.line, s.proto, s.state]),
    [
      [2, "udp", "ESTABLISHED"],
      [3, "udp", "ESTABLISHED"],
      [4, "udp", "UNCONN"],
    ],
  );
});

test("ss holds back at most a bounded number of undecided rows and emits all in order", async () => {
  const rows = ["Recv-Q Send-Q Local Address:Port Peer Address:Port Process"];
  for (let i = 0; i < 10000; i++) rows.push(`0 0 10.0.${i >> 8 & 255}.${i & 255}:${1024 + i} 203.0.113.5:443`);
  const r = await sockets(rows.join("\n"));
  assert.equal(r.sockets.length, 10000);
  assert.ok(r.sockets.every((s, i) => s.source.line === i + 2 && s.proto === "tcp" && s.state === "ESTABLISHED"));
  assert.equal(r.diagnostics.filter((d) => d.code === "I_SS_PROTO_ASSUMED").length, 1);
});

test("ss `*` is the IPv4 wildcard in old layouts and the dual-stack IPv6 one in new layouts", async () => {
  const old = await sockets("State Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 128 *:80 *:*\nLISTEN 0 128 :::80 :::*\n");
  assert.deepEqual(
    old.sockets.map((s) => [s.family, s.localIp, s.remoteIp]),
    [
      [4, "0.0.0.0", "0.0.0.0"],
      [6, "::", "::"],
    ],
  );
  const cur = await sockets("State Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 16 *:6000 *:*\nLISTEN 0 4096 0.0.0.0:8080 0.0.0.0:*\n");
  assert.deepEqual(
    cur.sockets.map((s) => [s.family, s.localIp, s.remoteIp]),
    [
      [6, "::", "::"],
      [4, "0.0.0.0", "0.0.0.0"],
    ],
  );
});

test("ss continuation lines belong to the row before them, also to ignored rows", async () => {
  const r = await sockets(
    [
      "Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
      "p_raw UNCONN 0 0 [34997]:* * users:((\"python3\",pid=1,fd=17))",
      "\tver:0 cpy_thresh:0 flags( running ) skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)",
      "tcp LISTEN 0 4096 0.0.0.0:8443 0.0.0.0:*",
      "\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10",
    ].join("\n"),
  );
  assert.equal(r.sockets.length, 1);
  assert.deepEqual(r.summary.ignoredBy, { header: 1, "other-socket": 2 });
  assert.equal(r.summary.skipped, 0);
});

test("ss decides the protocol again for every listing in one file", async () => {
  const r = await sockets(
    [
      "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess",
      "LISTEN 0      4096         0.0.0.0:8443      0.0.0.0:*",
      "ESTAB  0      0          127.0.0.1:40920    127.0.0.1:8443",
      "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess",
      "ESTAB  0      0          127.0.0.1:40921    127.0.0.1:5555",
      "UNCONN 0      0            0.0.0.0:5555       0.0.0.0:*",
    ].join("\n"),
  );
  assert.deepEqual(
    r.sockets.map((s) => s.proto),
    ["tcp", "tcp", "udp", "udp"],
  );
});
