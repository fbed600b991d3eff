/** netstat parser: detection table and rules that goldens show only indirectly. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "../src/parse.js";
import { netstat } from "../src/parsers/netstat.js";
import type { SocketRecord } from "../src/types.js";

const SECTION = "Active Internet connections (servers and established)";
const HEADER = "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ";

async function sockets(lines: string[]) {
  const r = await parse(lines.join("\n") + "\n", { type: "netstat" });
  return { ...r, sockets: r.records as SocketRecord[] };
}

test("netstat sniff: own headers high, look-alikes low, foreign netstat 0", () => {
  assert.ok(netstat.sniff([SECTION, HEADER]) >= 0.9);
  assert.ok(netstat.sniff(["Active UNIX domain sockets (only servers)"]) >= 0.5);
  // Windows and macOS netstat
  assert.equal(netstat.sniff(["Active Connections", "  Proto  Local Address          Foreign Address        State           PID", "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1052"]), 0);
  assert.equal(netstat.sniff(["Active Internet connections (including servers)", "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    ", "tcp4       0      0  127.0.0.1.8080         *.*                    LISTEN     "]), 0);
  // ss, conntrack, /proc/net/tcp rows
  assert.ok(netstat.sniff(["Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process", "tcp   LISTEN 0      4096   0.0.0.0:8080      0.0.0.0:*"]) < 0.5);
  assert.ok(netstat.sniff(["udp      17 27 src=2001:db8:1::2 dst=2001:db8:1::1 sport=36728 dport=5400 [UNREPLIED] src=2001:db8:1::1 dst=2001:db8:1::2 sport=5400 dport=36728 mark=0 use=1"]) < 0.5);
  assert.ok(netstat.sniff(["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23465 1 0000000000000000 100 0 0 10 0"]) < 0.5);
  // netstat -rn / -i are not socket listings
  assert.equal(netstat.sniff(["Kernel IP routing table", "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface"]), 0);
});

test("netstat: a field wider than 23 characters proves -W; later 23-character IPv6 fields are trusted", async () => {
  const { sockets: s } = await sockets([
    SECTION,
    HEADER,
    "tcp6       0      0 fd00:dead:beef::1:51832 fd00:dead:beef::242::80 ESTABLISHED 11686/docker-proxy  ",
    "tcp6       0      0 fd00:dead:beef::1:51833 fd00:dead:beef::242:ac11:2:80 ESTABLISHED 11686/docker-proxy  ",
    "tcp6       0      0 fd00:dead:beef::1:51834 fd00:dead:beef::2:8080  ESTABLISHED 11686/docker-proxy  ",
  ]);
  assert.deepEqual(s.map((r) => r.flags), [["truncated"], [], []]);
  assert.equal(s[0]!.remoteIp, "fd00:dead:beef::242:");
  assert.equal(s[0]!.remotePort, 80);
  assert.equal(s[1]!.remoteIp, "fd00:dead:beef::242:ac11:2");
});

test("netstat: BusyBox rows (IPv6 labelled tcp) are never cut; ::ffff: becomes mapped IPv4", async () => {
  const { sockets: s } = await sockets([
    SECTION,
    "tcp        0      0 ::ffff:127.0.0.1:6000   ::ffff:127.0.0.1:46516  ESTABLISHED ",
    "tcp        0      0 fd00:dead:beef::1:51832 fd00:dead:beef::2:8080  ESTABLISHED ",
  ]);
  assert.equal(s[0]!.family, 4);
  assert.equal(s[0]!.localIp, "127.0.0.1");
  assert.deepEqual(s[0]!.flags, ["mapped"]);
  assert.deepEqual(s[1]!.flags, []);
  assert.equal(s[1]!.family, 6);
});

test("netstat: program names with blanks, `-` for unknown, timers", async () => {
  const { sockets: s, diagnostics } = await sockets([
    "tcp        0      0 127.0.0.1:22            127.0.0.1:50122         ESTABLISHED 0          59422      1234/sshd: root@pts  keepalive (7199.01/0/0)",
    "tcp        0      0 127.0.0.1:47856         127.0.0.1:7000          TIME_WAIT   0          0          -                    timewait (51.47/0/0)",
    "udp        0      0 0.0.0.0:5353            0.0.0.0:*                           0          57864      812/dhclient         off (0.00/0/0)",
  ]);
  assert.equal(s[0]!.program, "sshd: root@pts");
  assert.equal(s[0]!.pid, 1234);
  assert.deepEqual(s[0]!.processes, [{ pid: 1234, program: "sshd: root@pts", fd: null }]);
  assert.ok(s[0]!.flags.includes("truncated"));
  assert.equal(s[0]!.timer, "keepalive (7199.01/0/0)");
  assert.equal(s[1]!.pid, null);
  assert.equal(s[1]!.program, null);
  assert.equal(s[1]!.inode, null);
  assert.deepEqual(s[1]!.processes, []);
  assert.equal(s[2]!.state, "UNCONN");
  assert.equal(s[2]!.uid, 0);
  assert.equal(s[2]!.inode, 57864);
  assert.equal(s[2]!.remotePort, null);
  assert.ok(!diagnostics.some((d) => d.severity === "error"));
});

test("netstat: unknown service names warn once per name; names and `[::]` without -n", async () => {
  const { sockets: s, diagnostics } = await sockets([
    "tcp        0      0 0.0.0.0:opentable       0.0.0.0:*               LISTEN      2301/ghost          ",
    "tcp        0      0 kevin:opentable         [::]:*                  LISTEN      2302/ghost          ",
    "tcp6       0      0 [::]:http-alt           [::]:*                  LISTEN      11686/docker-proxy  ",
  ]);
  assert.equal(diagnostics.filter((d) => d.code === "W_UNKNOWN_SERVICE").length, 1);
  assert.equal(s[0]!.localPort, null);
  assert.deepEqual(s[1]!.flags, ["unresolved", "unknown-service"]);
  assert.equal(s[1]!.localIp, "kevin");
  assert.equal(s[2]!.localIp, "::");
  assert.equal(s[2]!.localPort, 8080);
  assert.equal(s[2]!.family, 6);
});

test("netstat: a line starting with an Object.prototype name is skipped, not mistaken for a known protocol", async () => {
  const { summary } = await sockets(["constructor 0 0 a:1 b:2", "__proto__ x"]);
  assert.equal(summary.skipped, 2);
  assert.deepEqual(summary.ignoredBy, {});
});
