/**
 * Benchmark of `natlens analyze` on a large synthetic Docker host (issues 5, 16),
 * side by side with its parse floor.
 *
 *   node dist/scripts/bench-analyze.js             # 0.1x, 1x and 5x (generated once each)
 *   BENCH_SCALES=0.1,1 node ...                    # leave out the 5x host (~750 MB of files)
 *   NATLENS_CLI=.build-x/src/cli.js node ...       # run another build
 *   BENCH_REGEN=1 node ...                         # regenerate the bundles
 *   BENCH_ROUNDS=3 BENCH_ROUNDS_BIG=1              # rounds at <= 1x and above 1x (defaults)
 *
 * The 1x bundle (bench-out/analyze-host/, git-ignored; other scales in
 * analyze-host-xSCALE/) has the layout of samples/lab-proxy and the line
 * shapes of its files; it is generated from a seeded PRNG, so every run
 * analyses the same bytes:
 *
 * - 10 bridges (docker0 + 9 user networks), 1,000 containers (100 per bridge),
 *   each publishing 1 or 2 TCP ports (1,500 bindings), userland-proxy on: two
 *   docker-proxy processes (0.0.0.0 and ::) per binding and their LISTEN sockets;
 * - iptables-save -c with Docker's rules for every binding (DNAT, hairpin
 *   MASQUERADE, filter ACCEPT), the per-bridge FORWARD/isolation rules, a
 *   DOCKER-USER blocklist and an INPUT allowlist: 20,000 rules;
 * - 200,000 host sockets (proc/net/tcp{,6} and ss -tanpeiO): docker-proxy
 *   frontends, backends and their loopback clients, host processes dialling
 *   containers directly, TIME-WAIT leftovers on published ports, and unrelated
 *   host traffic (nginx, outgoing database connections, redis on loopback);
 * - proc/<pid>/net/tcp{,6} per container: listeners, server sockets whose
 *   peers are external clients (DNAT, in conntrack), proxy backends, direct
 *   host clients, and cross-bridge container clients of published ports;
 * - conntrack -L -o extended: ~138,000 entries (DNAT, MASQUERADE, un-NATed
 *   proxy legs, host traffic, TIME_WAIT DNAT entries whose sockets are gone).
 * Every count scales with the scale (bridges stay 10); source ports count per
 * published port and per bridge, so 5x still fits the port range.
 *
 * At each scale it runs, alternately, `analyze --to json -o /dev/null`, the
 * parse floor, `convert --to json -o /dev/null` of the same bundle (every
 * input read, detected, parsed and written as records), and the bare parse,
 * `convert --to csv --kind containers -o /dev/null` (every input read,
 * detected and parsed, the 1,000 container rows written: what analyze pays
 * before any analysis, and what no change to analysis can take off), under GNU time
 * (`/usr/bin/time -f "%U %S %M"`: user and system CPU seconds, and the child's
 * peak RSS); wall time is taken here. It prints the median of the rounds per
 * scale, the ratio of analyze to the parse floor (wall, CPU and RSS), how
 * each measure grew with the input (1.00 = proportional), and the verdict
 * against the targets of issue 16: the 1x host in < 5 s and < 400 MB (median
 * of 3), analyze <= 2x the parse floor, growth from the smallest to the
 * largest scale within 1.3x of proportional. CPU time is printed because the
 * machine is shared: wall time moves with the other load, CPU time much less,
 * and ratios of runs made alternately in one process are the fair comparison.
 * A run longer than BENCH_TIMEOUT (900 s) is stopped and reported.
 * Speed is measured here, never asserted in tests.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, writeFileSync } from "node:fs";
import path from "node:path";
import { mulberry32 } from "./_bench.js";

// ----------------------------------------------------------- helpers --

const SEED = 20261127;
/** Reset at the start of every generate(): each scale's bundle is the same bytes whatever was generated before it. */
let rand = mulberry32(SEED);
const pick = (n: number) => Math.floor(rand() * n);

const ip4 = (a: number, b: number, c: number, d: number) => (((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
const str4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, "0");
/** /proc/net/tcp address: the 32-bit word in host (little-endian) byte order. */
const proc4 = (n: number) => hex((((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0, 8);
const proc6mapped = (n: number) => `0000000000000000FFFF0000${proc4(n)}`;
const ZERO6 = "0".repeat(32);
const hexId = () => Array.from({ length: 8 }, () => hex(Math.floor(rand() * 0x100000000), 8).toLowerCase()).join("");

/** Line-buffered file writer. */
class Out {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  lines = 0;
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, "w");
  }
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
    this.lines++;
    if (this.size > 1 << 20) this.flush();
  }
  private flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join("\n") + "\n");
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

// ------------------------------------------------------------- model --

const HOST_IP = ip4(198, 51, 100, 1);
const LO = ip4(127, 0, 0, 1);

interface Bridge {
  name: string;
  network: string;
  id: string;
  base: number; // network address
  gw: number;
}
interface Binding {
  hostPort: number;
  containerPort: number;
  proxy4: number;
  proxy6: number;
  fd: number;
}
interface Container {
  i: number;
  name: string;
  id: string;
  pid: number;
  bridge: Bridge;
  ip: number;
  bindings: Binding[];
}

interface HostSock {
  l: number; // v4, or -1 for ::
  lp: number;
  r: number;
  rp: number;
  st: "ESTAB" | "LISTEN" | "TIME-WAIT";
  owner: { name: string; pid: number; fd: number } | null;
  inode: number;
}

interface Sizes {
  generator: number;
  scale: number;
  hostSockets: number;
  containerSockets: number;
  containers: number;
  bindings: number;
  rules: number;
  conntrack: number;
  processes: number;
}

/** Bump when the generated bytes change: a bundle of another version is made again. */
const GENERATOR = 2;

function generate(scale: number, OUT: string): Sizes {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  rand = mulberry32(SEED);
  const N_BRIDGES = 10;
  const N_CONTAINERS = Math.round(1_000 * scale);
  const N_HOST_SOCKETS = Math.round(200_000 * scale);
  const N_RULES = Math.round(20_000 * scale);
  const N_DNAT = Math.round(60_000 * scale); // external clients DNATed to containers (container socket + conntrack)
  const N_PROXY = Math.round(20_000 * scale); // loopback clients relayed by docker-proxy (client, frontend, backend on the host)
  const N_DIRECT = Math.round(3_000 * scale); // host processes dialling a container's address
  const N_PROXY_TW = Math.round(10_000 * scale); // TIME-WAIT frontends of published ports
  const N_CT_TW = Math.round(10_000 * scale); // DNAT conntrack entries in TIME_WAIT (sockets gone)
  const N_CROSS = Math.round(5_000 * scale); // containers dialling another bridge's container through its published port
  const N_HOST_TW = Math.round(30_000 * scale); // unrelated TIME-WAIT host sockets
  const N_HOST_CT = Math.round(20_000 * scale); // conntrack entries of unrelated host traffic
  const N_BLOCKLIST = Math.round(5_400 * scale); // DOCKER-USER -s x/32 -j DROP
  let inode = 2_000_000;
  let nextPid = 200_000;

  const bridges: Bridge[] = [];
  for (let b = 0; b < N_BRIDGES; b++) {
    const id = hexId();
    const base = b === 0 ? ip4(172, 17, 0, 0) : ip4(10, 100 + b, 0, 0);
    bridges.push({ name: b === 0 ? "docker0" : `br-${id.slice(0, 12)}`, network: b === 0 ? "bridge" : `appnet${b}`, id, base, gw: base + 1 });
  }
  const containers: Container[] = [];
  for (let i = 0; i < N_CONTAINERS; i++) {
    const bridge = bridges[i % N_BRIDGES]!;
    const k = Math.floor(i / N_BRIDGES);
    const c: Container = { i, name: `svc-${String(i).padStart(4, "0")}`, id: hexId(), pid: 100_000 + i * 7, bridge, ip: bridge.base + 2 + k, bindings: [] };
    const two = i % 2 === 0;
    c.bindings.push({ hostPort: 10_000 + i, containerPort: 80, proxy4: nextPid++, proxy6: nextPid++, fd: 5 });
    if (two) c.bindings.push({ hostPort: 20_000 + i, containerPort: 443, proxy4: nextPid++, proxy6: nextPid++, fd: 5 });
    containers.push(c);
  }
  const allBindings = containers.flatMap((c) => c.bindings.map((b) => ({ c, b })));

  // host processes
  const dockerdPid = 1200;
  const nginx = [2101, 2102, 2103, 2104];
  const javaPid = 3300;
  const redisPid = 3400;
  const promPid = 3500;
  const clientPids = Array.from({ length: 60 }, (_, i) => 40_000 + i * 3);
  const clientNames = ["curl", "python3", "node", "socat", "wget", "haproxy"];
  const clientName = (pid: number) => clientNames[(pid / 3) % clientNames.length]!;
  const fdOf = new Map<number, number>();
  const fd = (pid: number) => {
    const n = (fdOf.get(pid) ?? 5) + 1;
    fdOf.set(pid, n);
    return n;
  };

  // external client pool (CGNAT space: outside every bridge and the host's subnet)
  const extPool = Array.from({ length: 20_000 }, (_, j) => ip4(100, 64 + (j >> 16), (j >> 8) & 255, (j & 255) || 1));
  let extPort = 0;
  const nextExt = () => {
    const j = extPort++;
    return { ip: extPool[j % extPool.length]!, port: 1024 + (Math.floor(j / extPool.length) * 7919 + (j % 997)) % 64000 };
  };

  const host: HostSock[] = [];
  const ctr = new Map<Container, { l: number; lp: number; r: number; rp: number; st: string; inode: number }[]>();
  for (const c of containers) ctr.set(c, []);
  const ct: string[] = [];
  const ctLine = (state: string | null, timeout: number, s: number, d: number, sp: number, dp: number, rs: number, rd: number, rsp: number, rdp: number) =>
    `ipv4     2 tcp      6 ${timeout} ${state ? `${state} ` : ""}src=${str4(s)} dst=${str4(d)} sport=${sp} dport=${dp} src=${str4(rs)} dst=${str4(rd)} sport=${rsp} dport=${rdp} [ASSURED] mark=0 use=1`;

  // listeners
  for (const { b } of allBindings) {
    host.push({ l: 0, lp: b.hostPort, r: 0, rp: 0, st: "LISTEN", owner: { name: "docker-proxy", pid: b.proxy4, fd: 4 }, inode: inode++ });
    host.push({ l: -1, lp: b.hostPort, r: 0, rp: 0, st: "LISTEN", owner: { name: "docker-proxy", pid: b.proxy6, fd: 4 }, inode: inode++ });
  }
  host.push({ l: 0, lp: 22, r: 0, rp: 0, st: "LISTEN", owner: { name: "sshd", pid: 900, fd: 3 }, inode: inode++ });
  host.push({ l: -1, lp: 22, r: 0, rp: 0, st: "LISTEN", owner: { name: "sshd", pid: 900, fd: 4 }, inode: inode++ });
  host.push({ l: 0, lp: 443, r: 0, rp: 0, st: "LISTEN", owner: { name: "nginx", pid: nginx[0]!, fd: 6 }, inode: inode++ });
  host.push({ l: LO, lp: 6379, r: 0, rp: 0, st: "LISTEN", owner: { name: "redis-server", pid: redisPid, fd: 6 }, inode: inode++ });
  for (const c of containers) {
    for (const b of c.bindings) ctr.get(c)!.push({ l: -1, lp: b.containerPort, r: 0, rp: 0, st: "0A", inode: inode++ });
  }

  // A. external clients DNATed to a container
  for (let j = 0; j < N_DNAT; j++) {
    const { c, b } = allBindings[pick(allBindings.length)]!;
    const e = nextExt();
    ctr.get(c)!.push({ l: c.ip, lp: b.containerPort, r: e.ip, rp: e.port, st: "01", inode: inode++ });
    ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), e.ip, HOST_IP, e.port, b.hostPort, c.ip, e.ip, b.containerPort, e.port));
  }
  // B. loopback clients through docker-proxy
  // Source ports count per published port (loopback clients) and per bridge (the gateway's
  // connections), so that 5x the connections still fit in 32768..65535 without repeating a tuple.
  const loPorts = new Map<Binding, number>();
  const loPort = (b: Binding) => {
    const p = loPorts.get(b) ?? 32_768;
    loPorts.set(b, p + 1);
    return p;
  };
  const gwPorts = new Map<Bridge, number>();
  const gwPort = (br: Bridge) => {
    const p = gwPorts.get(br) ?? 32_768;
    gwPorts.set(br, p + 1);
    return p;
  };
  for (let j = 0; j < N_PROXY; j++) {
    const { c, b } = allBindings[pick(allBindings.length)]!;
    const cp = loPort(b);
    const bp = gwPort(c.bridge);
    const cpid = clientPids[pick(clientPids.length)]!;
    host.push({ l: LO, lp: cp, r: LO, rp: b.hostPort, st: "ESTAB", owner: { name: clientName(cpid), pid: cpid, fd: fd(cpid) }, inode: inode++ });
    host.push({ l: LO, lp: b.hostPort, r: LO, rp: cp, st: "ESTAB", owner: { name: "docker-proxy", pid: b.proxy4, fd: fd(b.proxy4) }, inode: inode++ });
    host.push({ l: c.bridge.gw, lp: bp, r: c.ip, rp: b.containerPort, st: "ESTAB", owner: { name: "docker-proxy", pid: b.proxy4, fd: fd(b.proxy4) }, inode: inode++ });
    ctr.get(c)!.push({ l: c.ip, lp: b.containerPort, r: c.bridge.gw, rp: bp, st: "01", inode: inode++ });
    ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), LO, LO, cp, b.hostPort, LO, LO, b.hostPort, cp));
    ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), c.bridge.gw, c.ip, bp, b.containerPort, c.ip, c.bridge.gw, b.containerPort, bp));
  }
  // C. host processes dialling containers directly (monitoring)
  for (let j = 0; j < N_DIRECT; j++) {
    const c = containers[j % containers.length]!;
    const bp = gwPort(c.bridge);
    host.push({ l: c.bridge.gw, lp: bp, r: c.ip, rp: 80, st: "ESTAB", owner: { name: "prometheus", pid: promPid, fd: fd(promPid) }, inode: inode++ });
    ctr.get(c)!.push({ l: c.ip, lp: 80, r: c.bridge.gw, rp: bp, st: "01", inode: inode++ });
    ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), c.bridge.gw, c.ip, bp, 80, c.ip, c.bridge.gw, 80, bp));
  }
  // D. TIME-WAIT leftovers of proxied loopback connections
  for (let j = 0; j < N_PROXY_TW; j++) {
    const { b } = allBindings[pick(allBindings.length)]!;
    host.push({ l: LO, lp: b.hostPort, r: LO, rp: loPort(b), st: "TIME-WAIT", owner: null, inode: 0 });
  }
  // G. DNAT conntrack entries in TIME_WAIT
  for (let j = 0; j < N_CT_TW; j++) {
    const { c, b } = allBindings[pick(allBindings.length)]!;
    const e = nextExt();
    ct.push(ctLine("TIME_WAIT", 1 + pick(119), e.ip, HOST_IP, e.port, b.hostPort, c.ip, e.ip, b.containerPort, e.port));
  }
  // H. containers dialling a published port of a container on another bridge (DNAT + MASQUERADE)
  // one port counter for all: MASQUERADE keeps the source port, so it must not repeat towards one server
  let crossPort = 40_000;
  for (let j = 0; j < N_CROSS; j++) {
    const { c, b } = allBindings[pick(allBindings.length)]!;
    let from = containers[pick(containers.length)]!;
    if (from.bridge === c.bridge) from = containers[(from.i + 1) % containers.length]!;
    const cp = ++crossPort;
    ctr.get(from)!.push({ l: from.ip, lp: cp, r: HOST_IP, rp: b.hostPort, st: "01", inode: inode++ });
    ctr.get(c)!.push({ l: c.ip, lp: b.containerPort, r: c.bridge.gw, rp: cp, st: "01", inode: inode++ });
    ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), from.ip, HOST_IP, cp, b.hostPort, c.ip, c.bridge.gw, b.containerPort, cp));
  }
  // E. unrelated TIME-WAIT host sockets
  let hostPort = 10_000;
  const nextHostPort = () => 32_768 + (hostPort++ % 28_000);
  for (let j = 0; j < N_HOST_TW; j++) {
    if (j % 2) {
      const e = nextExt();
      host.push({ l: HOST_IP, lp: 443, r: e.ip, rp: e.port, st: "TIME-WAIT", owner: null, inode: 0 });
    } else host.push({ l: HOST_IP, lp: nextHostPort(), r: ip4(10, 0, (j >> 8) & 63, j & 255 || 1), rp: 5432, st: "TIME-WAIT", owner: null, inode: 0 });
  }
  // F. unrelated established host traffic, up to N_HOST_SOCKETS
  let hostCt = 0;
  for (let j = 0; host.length < N_HOST_SOCKETS; j++) {
    const kind = j % 5;
    if (kind <= 1) {
      const e = nextExt();
      const w = nginx[j % nginx.length]!;
      host.push({ l: HOST_IP, lp: 443, r: e.ip, rp: e.port, st: "ESTAB", owner: { name: "nginx", pid: w, fd: fd(w) }, inode: inode++ });
      if (hostCt < N_HOST_CT) {
        hostCt++;
        ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), e.ip, HOST_IP, e.port, 443, HOST_IP, e.ip, 443, e.port));
      }
    } else if (kind <= 3) {
      const lp = nextHostPort();
      const db = ip4(10, 0, (j >> 8) & 63, j & 255 || 1);
      host.push({ l: HOST_IP, lp, r: db, rp: 5432, st: "ESTAB", owner: { name: "java", pid: javaPid, fd: fd(javaPid) }, inode: inode++ });
      if (hostCt < N_HOST_CT) {
        hostCt++;
        ct.push(ctLine("ESTABLISHED", 431_990 + pick(9), HOST_IP, db, lp, 5432, db, HOST_IP, 5432, lp));
      }
    } else {
      const lp = nextHostPort();
      host.push({ l: LO, lp, r: LO, rp: 6379, st: "ESTAB", owner: { name: "java", pid: javaPid, fd: fd(javaPid) }, inode: inode++ });
      if (host.length < N_HOST_SOCKETS) host.push({ l: LO, lp: 6379, r: LO, rp: lp, st: "ESTAB", owner: { name: "redis-server", pid: redisPid, fd: fd(redisPid) }, inode: inode++ });
    }
  }

  // -------------------------------------------------------- files --
  const PROC_HEAD4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ";
  const PROC_HEAD6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
  const stHex = { ESTAB: "01", LISTEN: "0A", "TIME-WAIT": "06" } as const;
  const procTail = (st: string, ino: number) =>
    st === "06"
      ? `06 00000000:00000000 03:00000F9A 00000000     0        0 0 3 0000000000000000`
      : st === "0A"
        ? `0A 00000000:00000000 00:00000000 00000000     0        0 ${ino} 1 0000000000000000 100 0 0 10 0`
        : `${st} 00000000:00000000 02:000003A4 00000000     0        0 ${ino} 2 0000000000000000 20 4 31 10 -1`;

  // host proc/net/tcp, tcp6
  const t4 = new Out(path.join(OUT, "proc/net/tcp"));
  const t6 = new Out(path.join(OUT, "proc/net/tcp6"));
  t4.line(PROC_HEAD4);
  t6.line(PROC_HEAD6);
  let sl4 = 0;
  let sl6 = 0;
  for (const s of host) {
    if (s.l === -1) {
      t6.line(`${String(sl6++).padStart(4)}: ${ZERO6}:${hex(s.lp, 4)} ${ZERO6}:0000 ${procTail(stHex[s.st], s.inode)}`);
    } else {
      t4.line(`${String(sl4++).padStart(4)}: ${proc4(s.l)}:${hex(s.lp, 4)} ${proc4(s.r)}:${hex(s.rp, 4)} ${procTail(stHex[s.st], s.inode)}                   `);
    }
  }
  t4.close();
  t6.close();
  // empty UDP tables, as the collector saves them
  writeFileSync(path.join(OUT, "proc/net/udp"), "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops             \n");
  writeFileSync(path.join(OUT, "proc/net/udp6"), "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");

  // ss -tanpeiO
  const ss = new Out(path.join(OUT, "commands/ss_-tanpeiO"));
  ss.line("State     Recv-Q Send-Q       Local Address:Port        Peer Address:Port Process");
  let sk = 0x1000;
  for (const s of host) {
    const local = s.l === -1 ? `[::]:${s.lp}` : `${str4(s.l)}:${s.lp}`;
    const peer = s.l === -1 ? "[::]:*" : s.st === "LISTEN" ? "0.0.0.0:*" : `${str4(s.r)}:${s.rp}`;
    const users = s.owner ? `users:(("${s.owner.name}",pid=${s.owner.pid},fd=${s.owner.fd})) ` : "";
    const skid = (sk++).toString(16);
    let tail: string;
    if (s.st === "LISTEN") tail = `${users}ino:${s.inode} sk:${skid} cgroup:/${s.l === -1 ? " v6only:1" : ""} <-> cubic cwnd:10`;
    else if (s.st === "TIME-WAIT") tail = `timer:(timewait,${20 + (s.lp % 40)}sec,0) ino:0 sk:${skid}`;
    else tail = `${users}ino:${s.inode} sk:${skid} cgroup:/system.slice <-> ts sack cubic wscale:7,7 rto:204 rtt:0.05/0.025 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 bytes_sent:${100 + (s.inode % 9000)} bytes_acked:${101 + (s.inode % 9000)} segs_out:${4 + (s.inode % 50)} segs_in:${3 + (s.inode % 50)} send 2316800000bps lastsnd:${s.inode % 60000} lastrcv:${s.inode % 60000} pacing_rate 4633600000bps rcv_space:14480 minrtt:0.02`;
    ss.line(`${s.st.padEnd(9)} 0      ${s.st === "LISTEN" ? "4096" : "0   "}   ${local.padStart(20)} ${peer.padStart(24)} ${tail}`);
  }
  ss.close();

  // container socket tables
  let containerSockets = 0;
  for (const c of containers) {
    const dir = path.join(OUT, `proc/${c.pid}/net`);
    mkdirSync(dir, { recursive: true });
    const rows = ctr.get(c)!;
    const v4 = new Out(path.join(dir, "tcp"));
    const v6 = new Out(path.join(dir, "tcp6"));
    v4.line(PROC_HEAD4);
    v6.line(PROC_HEAD6);
    let a = 0;
    let b6 = 0;
    for (const s of rows) {
      containerSockets++;
      if (s.l === -1) v6.line(`${String(b6++).padStart(4)}: ${ZERO6}:${hex(s.lp, 4)} ${ZERO6}:0000 ${procTail("0A", s.inode)}`);
      else if (s.lp >= 40_000) v4.line(`${String(a++).padStart(4)}: ${proc4(s.l)}:${hex(s.lp, 4)} ${proc4(s.r)}:${hex(s.rp, 4)} ${procTail(s.st, s.inode)}`);
      else v6.line(`${String(b6++).padStart(4)}: ${proc6mapped(s.l)}:${hex(s.lp, 4)} ${proc6mapped(s.r)}:${hex(s.rp, 4)} ${procTail(s.st, s.inode)}`);
    }
    v4.close();
    v6.close();
  }

  // conntrack (shuffled, as the kernel's hash order is)
  for (let i = ct.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [ct[i], ct[j]] = [ct[j]!, ct[i]!];
  }
  const ctOut = new Out(path.join(OUT, "commands/conntrack_-L_-o_extended"));
  for (const l of ct) ctOut.line(l);
  ctOut.close();

  // ps -efww
  const ps = new Out(path.join(OUT, "commands/ps_-efww"));
  let processes = 0;
  const psRow = (user: string, pid: number, ppid: number, cmd: string) => {
    processes++;
    ps.line(`${user.padEnd(8)} ${String(pid).padStart(7)} ${String(ppid).padStart(7)}  0 09:12 ?        00:00:01 ${cmd}`);
  };
  ps.line("UID          PID    PPID  C STIME TTY          TIME CMD");
  psRow("root", 1, 0, "/sbin/init");
  psRow("root", 900, 1, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  psRow("root", 1100, 1, "/usr/bin/containerd");
  psRow("root", dockerdPid, 1, "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --userland-proxy=true");
  for (const w of nginx) psRow("www-data", w, 2100, "nginx: worker process");
  psRow("app", javaPid, 1, "/usr/bin/java -Xmx4g -jar /opt/app/app.jar");
  psRow("redis", redisPid, 1, "/usr/bin/redis-server 127.0.0.1:6379");
  psRow("nobody", promPid, 1, "/bin/prometheus --config.file=/etc/prometheus/prometheus.yml");
  for (const p of clientPids) psRow("root", p, 1, `${clientName(p)} --keepalive http://127.0.0.1/`);
  for (const { c, b } of allBindings) {
    psRow("root", b.proxy4, dockerdPid, `/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port ${b.hostPort} -container-ip ${str4(c.ip)} -container-port ${b.containerPort}`);
    psRow("root", b.proxy6, dockerdPid, `/usr/bin/docker-proxy -proto tcp -host-ip :: -host-port ${b.hostPort} -container-ip ${str4(c.ip)} -container-port ${b.containerPort}`);
  }
  for (const c of containers) {
    psRow("root", c.pid - 1, 1, `/usr/bin/containerd-shim-runc-v2 -namespace moby -id ${c.id} -address /run/containerd/containerd.sock`);
    psRow("root", c.pid, c.pid - 1, `nginx: master process nginx -g daemon off;`);
  }
  ps.close();

  // iptables-save -c
  const filter: string[] = [];
  const nat: string[] = [];
  const cnt = () => `[${pick(50)}:${pick(5000)}]`;
  filter.push(`${cnt()} -A INPUT -i lo -j ACCEPT`);
  filter.push(`${cnt()} -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  filter.push(`${cnt()} -A FORWARD -j DOCKER-USER`);
  filter.push(`${cnt()} -A FORWARD -j DOCKER-ISOLATION-STAGE-1`);
  for (const br of bridges) {
    filter.push(`${cnt()} -A FORWARD -o ${br.name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    filter.push(`${cnt()} -A FORWARD -o ${br.name} -j DOCKER`);
    filter.push(`${cnt()} -A FORWARD -i ${br.name} ! -o ${br.name} -j ACCEPT`);
    filter.push(`${cnt()} -A FORWARD -i ${br.name} -o ${br.name} -j ACCEPT`);
  }
  for (const { c, b } of allBindings) filter.push(`${cnt()} -A DOCKER -d ${str4(c.ip)}/32 ! -i ${c.bridge.name} -o ${c.bridge.name} -p tcp -m tcp --dport ${b.containerPort} -j ACCEPT`);
  for (const br of bridges) filter.push(`${cnt()} -A DOCKER-ISOLATION-STAGE-1 -i ${br.name} ! -o ${br.name} -j DOCKER-ISOLATION-STAGE-2`);
  filter.push(`${cnt()} -A DOCKER-ISOLATION-STAGE-1 -j RETURN`);
  for (const br of bridges) filter.push(`${cnt()} -A DOCKER-ISOLATION-STAGE-2 -o ${br.name} -j DROP`);
  filter.push(`${cnt()} -A DOCKER-ISOLATION-STAGE-2 -j RETURN`);
  // blocklist of scanners (never the generated clients: 45.0.0.0/8 space)
  for (let j = 0; j < N_BLOCKLIST; j++) filter.push(`${cnt()} -A DOCKER-USER -s ${str4(ip4(45, (j >> 16) & 255, (j >> 8) & 255, j & 255))}/32 -j DROP`);
  filter.push(`${cnt()} -A DOCKER-USER -j RETURN`);
  nat.push(`${cnt()} -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER`);
  nat.push(`${cnt()} -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER`);
  for (const br of bridges) nat.push(`${cnt()} -A POSTROUTING -s ${str4(br.base)}/16 ! -o ${br.name} -j MASQUERADE`);
  for (const { c, b } of allBindings) nat.push(`${cnt()} -A POSTROUTING -s ${str4(c.ip)}/32 -d ${str4(c.ip)}/32 -p tcp -m tcp --dport ${b.containerPort} -j MASQUERADE`);
  for (const br of bridges) nat.push(`${cnt()} -A DOCKER -i ${br.name} -j RETURN`);
  for (const { c, b } of allBindings) nat.push(`${cnt()} -A DOCKER ! -i ${c.bridge.name} -p tcp -m tcp --dport ${b.hostPort} -j DNAT --to-destination ${str4(c.ip)}:${b.containerPort}`);
  // INPUT allowlist (ssh from the admin ranges), filling up to N_RULES
  const tailRules = 2;
  const allow = N_RULES - filter.length - nat.length - tailRules;
  const allowRules: string[] = [];
  for (let j = 0; j < allow; j++) allowRules.push(`${cnt()} -A INPUT -s ${str4(ip4(192, 168, (j >> 8) & 255, j & 255))}/32 -p tcp -m tcp --dport 22 -j ACCEPT`);
  filter.splice(2, 0, ...allowRules, `${cnt()} -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT`, `${cnt()} -A INPUT -p tcp -m tcp --dport 22 -j DROP`);
  const rules = filter.length + nat.length;
  const ipt = new Out(path.join(OUT, "commands/iptables-save_-c"));
  const stamp = "Fri Nov 27 09:30:00 2026";
  ipt.line(`# Generated by iptables-save v1.8.9 (nf_tables) on ${stamp}`);
  ipt.line("*filter");
  for (const l of [":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ":DOCKER - [0:0]", ":DOCKER-ISOLATION-STAGE-1 - [0:0]", ":DOCKER-ISOLATION-STAGE-2 - [0:0]", ":DOCKER-USER - [0:0]"]) ipt.line(l);
  for (const l of filter) ipt.line(l);
  ipt.line("COMMIT");
  ipt.line(`# Completed on ${stamp}`);
  ipt.line(`# Generated by iptables-save v1.8.9 (nf_tables) on ${stamp}`);
  ipt.line("*nat");
  for (const l of [":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ":DOCKER - [0:0]"]) ipt.line(l);
  for (const l of nat) ipt.line(l);
  ipt.line("COMMIT");
  ipt.line(`# Completed on ${stamp}`);
  ipt.close();

  // ip -o addr
  const addr = new Out(path.join(OUT, "commands/ip_-o_addr"));
  addr.line("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever");
  addr.line("1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever");
  addr.line("2: eth0    inet 198.51.100.1/24 brd 198.51.100.255 scope global eth0\\       valid_lft forever preferred_lft forever");
  addr.line("2: eth0    inet6 2001:db8:1::1/64 scope global \\       valid_lft forever preferred_lft forever");
  bridges.forEach((br, k) => {
    addr.line(`${3 + k}: ${br.name}    inet ${str4(br.gw)}/16 brd ${str4(br.base + 0xffff)} scope global ${br.name}\\       valid_lft forever preferred_lft forever`);
  });
  addr.close();

  // docker inspect (containers) and docker network inspect
  const inspect = containers.map((c) => {
    const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
    const bindingsCfg: Record<string, { HostIp: string; HostPort: string }[]> = {};
    const exposed: Record<string, object> = {};
    for (const b of c.bindings) {
      const key = `${b.containerPort}/tcp`;
      ports[key] = [
        { HostIp: "0.0.0.0", HostPort: String(b.hostPort) },
        { HostIp: "::", HostPort: String(b.hostPort) },
      ];
      bindingsCfg[key] = [{ HostIp: "", HostPort: String(b.hostPort) }];
      exposed[key] = {};
    }
    const br = c.bridge;
    const ep = {
      IPAMConfig: null,
      Links: null,
      Aliases: br.network === "bridge" ? null : [c.name, c.id.slice(0, 12)],
      NetworkID: br.id,
      EndpointID: hexId(),
      Gateway: str4(br.gw),
      IPAddress: str4(c.ip),
      IPPrefixLen: 16,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      MacAddress: `02:42:${[c.ip >>> 24, (c.ip >>> 16) & 255, (c.ip >>> 8) & 255, c.ip & 255].map((x) => x.toString(16).padStart(2, "0")).join(":")}`,
      DriverOpts: null,
    };
    return {
      Id: c.id,
      Created: "2026-11-27T09:00:00.000000000Z",
      Path: "/docker-entrypoint.sh",
      Args: ["nginx", "-g", "daemon off;"],
      State: { Status: "running", Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: c.pid, ExitCode: 0, Error: "", StartedAt: "2026-11-27T09:00:01.000000000Z", FinishedAt: "0001-01-01T00:00:00Z" },
      Image: `sha256:${"ab".repeat(32)}`,
      Name: `/${c.name}`,
      RestartCount: 0,
      Driver: "overlay2",
      Platform: "linux",
      HostConfig: { NetworkMode: br.network === "bridge" ? "default" : br.network, PortBindings: bindingsCfg, RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 }, AutoRemove: false, PublishAllPorts: false },
      Config: { Hostname: c.id.slice(0, 12), ExposedPorts: exposed, Image: "nginx:1.27", Labels: { "com.docker.compose.service": c.name } },
      NetworkSettings: {
        Bridge: "",
        SandboxID: hexId(),
        Ports: ports,
        SandboxKey: `/var/run/docker/netns/${hexId().slice(0, 12)}`,
        Gateway: br.network === "bridge" ? str4(br.gw) : "",
        IPAddress: br.network === "bridge" ? str4(c.ip) : "",
        IPPrefixLen: br.network === "bridge" ? 16 : 0,
        Networks: { [br.network]: ep },
      },
    };
  });
  mkdirSync(path.join(OUT, "docker"), { recursive: true });
  writeFileSync(path.join(OUT, "docker/docker_inspect_containers"), JSON.stringify(inspect, null, 4) + "\n");
  const networks = bridges.map((br) => ({
    Name: br.network,
    Id: br.id,
    Created: "2026-11-27T08:59:00.000000000Z",
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: br.network === "bridge" ? null : {}, Config: [{ Subnet: `${str4(br.base)}/16`, Gateway: str4(br.gw) }] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      containers.filter((c) => c.bridge === br).map((c) => [c.id, { Name: c.name, EndpointID: hexId(), MacAddress: "02:42:00:00:00:00", IPv4Address: `${str4(c.ip)}/16`, IPv6Address: "" }]),
    ),
    Options: br.network === "bridge" ? { "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": "docker0" } : {},
    Labels: {},
  }));
  writeFileSync(path.join(OUT, "docker/docker_network_inspect"), JSON.stringify(networks, null, 4) + "\n");
  writeFileSync(path.join(OUT, "hostname"), "bench-host\n");

  const sizes: Sizes = { generator: GENERATOR, scale, hostSockets: host.length, containerSockets, containers: containers.length, bindings: allBindings.length, rules, conntrack: ct.length, processes };
  writeFileSync(path.join(OUT, "SIZES.json"), JSON.stringify(sizes, null, 2) + "\n");
  return sizes;
}

// -------------------------------------------------------------- run --

interface Run {
  wall: number;
  /** User + system CPU seconds of the child: steadier than wall time on a shared machine. */
  cpu: number;
  /** Peak RSS of the child process (GNU time's maxRSS), MB. */
  rssMb: number;
  status: number | null;
  stderr: string;
  timedOut: boolean;
}

/** A run that takes longer than this is stopped (BENCH_TIMEOUT seconds). */
const TIMEOUT_S = Number(process.env["BENCH_TIMEOUT"] ?? 900);

function timed(args: string[]): Run {
  const start = process.hrtime.bigint();
  // timeout(1) stops a run that never ends; GNU time reports the peak RSS of the tree below it.
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "timeout", "-s", "KILL", String(TIMEOUT_S), process.execPath, ...args], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const err = r.stderr.toString().trim().split("\n");
  const [user, sys, kb] = (err[err.length - 1] ?? "").split(" ").map(Number);
  return { wall, cpu: user! + sys!, rssMb: kb! / 1024, status: r.status, stderr: err.slice(0, -1).join("\n"), timedOut: r.status === 137 || r.status === 124 };
}

const fmtN = (n: number) => n.toLocaleString("en");
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** The bundle of one scale, generated unless a bundle of this generator version is there. */
function bundle(scale: number): { dir: string; sizes: Sizes } {
  const dir = path.join("bench-out", scale === 1 ? "analyze-host" : `analyze-host-x${scale}`);
  const t0 = Date.now();
  let sizes: Sizes | null = null;
  try {
    if (!process.env["BENCH_REGEN"]) sizes = JSON.parse(readFileSync(path.join(dir, "SIZES.json"), "utf8")) as Sizes;
  } catch {
    sizes = null;
  }
  if (!sizes || sizes.generator !== GENERATOR) sizes = generate(scale, dir);
  console.log(
    `bundle ${dir} (${((Date.now() - t0) / 1000).toFixed(1)} s to generate or reuse): ${fmtN(sizes.hostSockets)} host sockets, ${fmtN(sizes.containerSockets)} container sockets, ` +
      `${fmtN(sizes.containers)} containers, ${fmtN(sizes.bindings)} published ports, ${fmtN(sizes.rules)} rules, ${fmtN(sizes.conntrack)} conntrack entries, ${fmtN(sizes.processes)} processes`,
  );
  return { dir, sizes };
}

interface Measured {
  scale: number;
  analyze: Run[];
  convert: Run[];
  /** convert --to csv --kind containers: every input parsed, next to nothing written. */
  parseOnly: Run[];
}

/**
 * analyze --to json, the parse floor (convert --to json of the same files:
 * every input read, detected, parsed and written as records) and the bare
 * parse (convert --to csv --kind containers), run alternately `rounds` times.
 * Medians of each measure are judged.
 */
function measure(scale: number, rounds: number): Measured {
  const { dir } = bundle(scale);
  const m: Measured = { scale, analyze: [], convert: [], parseOnly: [] };
  for (let i = 0; i < rounds; i++) {
    m.analyze.push(timed([CLI, "analyze", "--to", "json", "-o", "/dev/null", dir]));
    m.convert.push(timed([CLI, "convert", "--to", "json", "-o", "/dev/null", dir]));
    m.parseOnly.push(timed([CLI, "convert", "--to", "csv", "--kind", "containers", "-o", "/dev/null", dir]));
  }
  for (const [name, runs] of [["analyze", m.analyze], ["convert", m.convert], ["parse only", m.parseOnly]] as const) {
    for (const r of runs) {
      if (r.timedOut) console.log(`  ${name} x${scale}: TIMED OUT after ${TIMEOUT_S} s`);
      else if (r.status !== 0 && r.status !== 1) console.log(`  ${name} x${scale} failed (exit ${r.status}):\n${r.stderr.slice(0, 4000)}`);
    }
  }
  return m;
}

const CLI = process.env["NATLENS_CLI"] ?? "dist/src/cli.js";
/** BENCH_SCALES=0.1,1 leaves out the 5x host (about 750 MB of files and a few minutes). */
const SCALES = (process.env["BENCH_SCALES"] ?? "0.1,1,5").split(",").map(Number);
/** Rounds per scale: BENCH_ROUNDS (3) at 1x and below, BENCH_ROUNDS_BIG (1) above 1x. */
const ROUNDS = Math.max(1, Number(process.env["BENCH_ROUNDS"] ?? 3));
const ROUNDS_BIG = Math.max(1, Number(process.env["BENCH_ROUNDS_BIG"] ?? 1));
const TARGET = { seconds: 5, rssMb: 400, ratio: 2, growth: 1.3 };

console.log(`cli: ${CLI}; analyze --to json -o /dev/null vs convert --to json -o /dev/null (the parse floor) and convert --to csv --kind containers (parse only), alternately`);
const results: Measured[] = [];
for (const scale of SCALES) results.push(measure(scale, scale > 1 ? ROUNDS_BIG : ROUNDS));

const pad = (s: string, n: number) => s.padStart(n);
const stat = (runs: Run[]) => ({ wall: med(runs.map((r) => r.wall)), cpu: med(runs.map((r) => r.cpu)), rss: med(runs.map((r) => r.rssMb)), n: runs.length });
console.log("");
console.log(`${"scale".padEnd(6)} ${pad("analyze wall", 13)} ${pad("cpu", 8)} ${pad("peak RSS", 9)}   ${pad("convert wall", 13)} ${pad("cpu", 8)} ${pad("peak RSS", 9)}   ${pad("ratio wall", 10)} ${pad("cpu", 6)} ${pad("RSS", 6)}`);
const rows = results.map((m) => ({ scale: m.scale, a: stat(m.analyze), c: stat(m.convert), p: stat(m.parseOnly), runs: m }));
for (const { scale, a, c } of rows) {
  console.log(
    `${`${scale}x`.padEnd(6)} ${pad(`${a.wall.toFixed(2)} s`, 13)} ${pad(`${a.cpu.toFixed(2)} s`, 8)} ${pad(`${a.rss.toFixed(0)} MB`, 9)}   ` +
      `${pad(`${c.wall.toFixed(2)} s`, 13)} ${pad(`${c.cpu.toFixed(2)} s`, 8)} ${pad(`${c.rss.toFixed(0)} MB`, 9)}   ` +
      `${pad((a.wall / c.wall).toFixed(2), 10)} ${pad((a.cpu / c.cpu).toFixed(2), 6)} ${pad((a.rss / c.rss).toFixed(2), 6)}   (median of ${a.n})`,
  );
}
for (const { scale, runs } of rows) {
  console.log(`  ${scale}x runs, analyze: ${runs.analyze.map((r) => `${r.wall.toFixed(2)} s/${r.cpu.toFixed(2)} s cpu/${r.rssMb.toFixed(0)} MB`).join(", ")}`);
  console.log(`  ${scale}x runs, convert: ${runs.convert.map((r) => `${r.wall.toFixed(2)} s/${r.cpu.toFixed(2)} s cpu/${r.rssMb.toFixed(0)} MB`).join(", ")}`);
}

// What analysis adds to parsing: analyze minus the bare parse of the same inputs (both as processes,
// so start-up is in both). The bare parse is a floor no change to analysis can go below.
console.log("");
console.log(`parse only (convert --to csv --kind containers) and what analyze adds to it (model, flows, explanation, evidence, the report)`);
for (const { scale, a, p } of rows) {
  console.log(
    `  ${`${scale}x`.padEnd(5)} parse only ${pad(`${p.wall.toFixed(2)} s`, 8)} wall ${pad(`${p.cpu.toFixed(2)} s`, 8)} cpu ${pad(`${p.rss.toFixed(0)} MB`, 7)};  ` +
      `analyze adds ${pad(`${(a.wall - p.wall).toFixed(2)} s`, 8)} wall ${pad(`${(a.cpu - p.cpu).toFixed(2)} s`, 8)} cpu;  parse only is ${((p.wall / a.wall) * 100).toFixed(0)} % of analyze's wall`,
  );
}

// Growth: how much each measure grew from the smallest scale, over how much the input grew
// (1.00 = proportional; below 1 when fixed start-up costs still weigh at the small scale).
const base = rows[0]!;
console.log("");
console.log(`growth from ${base.scale}x, (measure / measure at ${base.scale}x) / (scale / ${base.scale}): 1.00 is proportional`);
for (const { scale, a, c } of rows.slice(1)) {
  const k = scale / base.scale;
  const g = (x: number, y: number) => (x / y / k).toFixed(2);
  console.log(`  ${scale}x: analyze wall ${g(a.wall, base.a.wall)}, cpu ${g(a.cpu, base.a.cpu)}, RSS ${g(a.rss, base.a.rss)};  convert wall ${g(c.wall, base.c.wall)}, cpu ${g(c.cpu, base.c.cpu)}, RSS ${g(c.rss, base.c.rss)}`);
}
const one = rows.find((r) => r.scale === 1);
const big = rows[rows.length - 1]!;
if (one && big.scale > 1) {
  const k = big.scale;
  console.log(`  1x -> ${k}x: analyze wall ${(big.a.wall / one.a.wall / k).toFixed(2)}, cpu ${(big.a.cpu / one.a.cpu / k).toFixed(2)}, RSS ${(big.a.rss / one.a.rss / k).toFixed(2)}`);
}

// The issue's targets (16): 1x under 5 s and 400 MB, at most 2x the parse floor, growth within 1.3x of proportional.
console.log("");
const checks: [string, boolean][] = [];
if (one) {
  checks.push([`1x wall ${one.a.wall.toFixed(2)} s < ${TARGET.seconds} s (median of ${one.a.n}; cpu ${one.a.cpu.toFixed(2)} s)`, one.a.wall < TARGET.seconds]);
  checks.push([`1x peak RSS ${one.a.rss.toFixed(0)} MB < ${TARGET.rssMb} MB`, one.a.rss < TARGET.rssMb]);
}
for (const { scale, a, c } of rows) checks.push([`${scale}x analyze / parse floor: wall ${(a.wall / c.wall).toFixed(2)}, cpu ${(a.cpu / c.cpu).toFixed(2)} <= ${TARGET.ratio}`, a.wall / c.wall <= TARGET.ratio && a.cpu / c.cpu <= TARGET.ratio]);
if (rows.length > 1) {
  const k = big.scale / base.scale;
  const gt = big.a.wall / base.a.wall / k;
  const gm = big.a.rss / base.a.rss / k;
  checks.push([`growth ${base.scale}x -> ${big.scale}x: time ${gt.toFixed(2)}, memory ${gm.toFixed(2)} of proportional (<= ${TARGET.growth})`, gt <= TARGET.growth && gm <= TARGET.growth]);
}
for (const [what, ok] of checks) console.log(`  ${ok ? "met    " : "NOT MET"}  ${what}`);
const pass = checks.every(([, ok]) => ok) && results.every((m) => [...m.analyze, ...m.convert, ...m.parseOnly].every((r) => !r.timedOut && (r.status === 0 || r.status === 1)));
console.log(`verdict: ${pass ? "PASS" : "FAIL"}`);
process.exitCode = pass ? 0 : 1;
