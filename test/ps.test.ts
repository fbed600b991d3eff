/** Table tests for the ps parser: Docker argv forms, detection boundaries, cut-width handling. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dockerKind, parseDockerd, parseDockerProxy } from "../src/parsers/_ps-docker.js";
import { ps } from "../src/parsers/ps/index.js";
import { parse } from "../src/parse.js";
import type { ProcessRecord } from "../src/types.js";

test("ps: docker program names", () => {
  const cases: [string, ReturnType<typeof dockerKind>][] = [
    ["docker-proxy", "proxy"],
    ["docker-proxy-current", "proxy"],
    ["docker-proxy-cu", "proxy"],
    ["docker-proxy-c", "proxy"],
    ["docker-proxy-", "proxy"],
    ["rootlesskit-docker-proxy", "proxy"],
    ["rootlesskit-doc", "proxy"],
    ["rootlesskit", null],
    ["dockerd", "dockerd"],
    ["dockerd-current", "dockerd"],
    ["dockerd-rootless.sh", null],
    ["docker", null],
    ["containerd", null],
  ];
  for (const [name, kind] of cases) assert.equal(dockerKind(name), kind, name);
});

test("ps: docker-proxy flag forms give the same mapping", () => {
  const want = { proto: "tcp", hostIp: "::", hostPort: 8080, containerIp: "fd00:dead:beef::242:ac11:2", containerPort: 80, useListenFd: true };
  for (const args of [
    "/usr/bin/docker-proxy -proto tcp -host-ip :: -host-port 8080 -container-ip fd00:dead:beef::242:ac11:2 -container-port 80 -use-listen-fd",
    "/usr/bin/docker-proxy --proto=tcp --host-ip=:: --host-port=8080 --container-ip=fd00:dead:beef:0:0:242:ac11:2 --container-port=80 --use-listen-fd",
    "docker-proxy -proto=tcp -host-ip=0:0::0 -host-port=8080 -container-ip=FD00:DEAD:BEEF::242:AC11:2 -container-port=80 -use-listen-fd=true",
    "docker-proxy -use-listen-fd -container-port 80 -container-ip fd00:dead:beef::242:ac11:2 -host-port 8080 -host-ip :: -proto tcp",
  ]) {
    const r = parseDockerProxy(args);
    assert.deepEqual(r.value, want, args);
    assert.equal(r.truncated, false, args);
    assert.deepEqual(r.problems, [], args);
  }
});

test("ps: a cut docker-proxy argv keeps only complete values", () => {
  const cases: [string, Partial<ReturnType<typeof parseDockerProxy>["value"]>][] = [
    ["/usr/sbin/docker-proxy -proto tc", { proto: null }],
    ["/usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 80", { proto: "tcp", hostIp: "0.0.0.0", hostPort: null }],
    ["/usr/sbin/docker-proxy -proto tcp -host-ip 172.1", { proto: "tcp", hostIp: null }],
    ["/usr/sbin/docker-proxy -proto udp -host-ip :: -host-port 53 -container-p", { proto: "udp", hostIp: "::", hostPort: 53, containerPort: null }],
    ["docker-proxy", { proto: null, hostIp: null, hostPort: null, containerIp: null, containerPort: null }],
  ];
  for (const [args, want] of cases) {
    const r = parseDockerProxy(args);
    assert.equal(r.truncated, true, args);
    for (const [k, v] of Object.entries(want)) assert.equal(r.value[k as keyof typeof r.value], v, `${args}: ${k}`);
  }
  // A complete argv on a row known to end at the cut width: its last value is not trusted.
  const cut = parseDockerProxy("/usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 8", true);
  assert.equal(cut.truncated, true);
  assert.equal(cut.value.containerPort, null);
  assert.equal(cut.value.containerIp, "172.17.0.2");
});

test("ps: dockerd options", () => {
  const cases: [string, Partial<ReturnType<typeof parseDockerd>["value"]>, boolean][] = [
    ["/usr/bin/dockerd -H fd://", { userlandProxy: null, iptables: null, ip6tables: null, experimental: null }, false],
    ["dockerd --userland-proxy", { userlandProxy: true }, false],
    ["dockerd --userland-proxy true", { userlandProxy: true }, false],
    ["dockerd --userland-proxy=false --iptables=false --ip6tables", { userlandProxy: false, iptables: false, ip6tables: true }, false],
    ["dockerd --userland-proxy=0 --iptables=T --ip6tables=FALSE --experimental", { userlandProxy: false, iptables: true, ip6tables: false, experimental: true }, false],
    ["dockerd-current --userland-proxy-path=/usr/libexec/docker/docker-proxy-current", { userlandProxyPath: "/usr/libexec/docker/docker-proxy-current" }, false],
    ["dockerd --userland-proxy-path /usr/bin/docker-proxy --firewall-backend nftables", { userlandProxyPath: "/usr/bin/docker-proxy", firewallBackend: "nftables" }, false],
    ["dockerd --firewall-backend=iptables", { firewallBackend: "iptables" }, false],
    ["dockerd --userland-proxy=fa", { userlandProxy: null }, true],
    ["dockerd --iptables=false --userland-pro", { iptables: false, userlandProxy: null }, true],
    ["dockerd --firewall-backend", { firewallBackend: null }, true],
  ];
  for (const [args, want, truncated] of cases) {
    const r = parseDockerd(args);
    assert.equal(r.truncated, truncated, args);
    for (const [k, v] of Object.entries(want)) assert.equal(r.value[k as keyof typeof r.value], v, `${args}: ${k}`);
  }
  const bad = parseDockerd("dockerd --iptables=maybe --debug");
  assert.equal(bad.value.iptables, null);
  assert.equal(bad.problems.length, 1);
  // On a row cut at the terminal width the last option may be cut: `--iptables` could have been `--iptables=false`.
  const cut = parseDockerd("dockerd --userland-proxy=false --iptables", true);
  assert.equal(cut.truncated, true);
  assert.equal(cut.value.userlandProxy, false);
  assert.equal(cut.value.iptables, null);
});

test("ps: sniff scores ps headers and refuses look-alikes", () => {
  const yes = [
    ["UID        PID  PPID  C STIME TTY          TIME CMD", "root     11058     1  0 17:05 ?        00:00:00 dockerd"],
    ["USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND", "root     11673  0.0  0.0 1156492 3436 ?        Sl   17:06   0:00 /usr/sbin/docker-proxy"],
    ["PID   USER     TIME  COMMAND", "    1 root      0:02 /sbin/init"],
    ["  PID USER       VSZ STAT COMMAND", "    1 root      1620 S    init"],
    ["F S UID        PID  PPID   LWP  C NLWP PRI  NI ADDR SZ WCHAN  STIME TTY          TIME CMD"],
  ];
  for (const head of yes) assert.ok(ps.sniff(head) >= 0.8, head[0]);
  const no = [
    ["CONTAINER ID   IMAGE     COMMAND                  CREATED       STATUS       PORTS                  NAMES"],
    ["  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND"],
    ["COMMAND     PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME"],
    ["Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name"],
    ["root     11058     1  0 17:05 ?        00:00:00"],
    ["tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      32243/docker-proxy"],
  ];
  for (const head of no) assert.equal(ps.sniff(head), 0, head[0]);
  // rows without their header (`ps -ef | grep dockerd`) are claimed by their shape, below any header-led listing
  const headerless = ps.sniff(["root     11058     1  0 17:05 ?        00:00:00 dockerd"]);
  assert.ok(headerless >= 0.5 && headerless < 0.8, String(headerless));
});

test("ps: a listing cut at a terminal width is flagged row by row, beyond the first rows too", async () => {
  const rows = ["UID        PID  PPID  C STIME TTY          TIME CMD"];
  for (let i = 0; i < 100; i++) rows.push(`root     ${20000 + i}     1  0 17:05 ?        00:00:00 /usr/bin/some-long-program --with --many --options --here`.slice(0, 80));
  rows.push("root     30000 20000  0 17:05 ?        00:00:00 docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 80");
  rows.push("root     30001 20000  0 17:05 ?        00:00:00 sleep 1");
  const { records, diagnostics } = await parse(rows.map((r) => r.slice(0, 80)).join("\n") + "\n", { file: "cut" });
  const recs = records as ProcessRecord[];
  assert.equal(recs.length, 102);
  assert.equal(diagnostics.filter((d) => d.code === "W_PS_CUT_AT_WIDTH").length, 1);
  assert.ok(recs.slice(0, 101).every((r) => r.flags.includes("truncated")));
  assert.deepEqual(recs[101]!.flags, []);
  assert.equal(recs[100]!.dockerProxy?.proto, "tcp");
  assert.equal(recs[100]!.dockerProxy?.hostIp, null); // `-host-ip` is the last, cut, word
});

test("ps: never throws and accounts for every line on odd input", async () => {
  const text = ["  PID USER COMMAND", "-", "}", "{", "[", "1 root {x}", "2 root {} ", "3 root [", "4 root  \\_ ", "x".repeat(5000), "5 root docker-proxy -proto"].join("\n");
  const { summary } = await parse(text, { type: "ps" });
  assert.equal(summary.lines, 11);
  assert.equal(summary.records + summary.skipped + summary.ignored, summary.lines);
});
