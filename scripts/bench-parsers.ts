/**
 * Parser benchmarks for issue 3: parsing stays linear in the input size.
 *
 *   node dist/scripts/bench-parsers.js                    # all
 *   node dist/scripts/bench-parsers.js iptables-save      # one (iptables-save, conntrack, nf_conntrack)
 *   NATLENS_CLI=.build-x/src/cli.js node .build-x/scripts/bench-parsers.js
 *
 * Each bench generates a deterministic input (seeded xorshift) at two sizes,
 * N and N/2, into bench-out/ (git-ignored; files are reused once written):
 *
 *   iptables-save  100,000 and 50,000 rules of a Docker host's `iptables-save -c`
 *                  (*filter and *nat sections, `[p:b]` counters, DOCKER/DOCKER-USER/
 *                  DOCKER-ISOLATION chains, DNAT, ACCEPT, MASQUERADE, commented rules)
 *   conntrack      1,000,000 and 500,000 entries of `conntrack -L -o extended`
 *   nf_conntrack   1,000,000 and 500,000 entries of /proc/net/nf_conntrack
 *                  (zone=, IPv6 written in full as the kernel does)
 *
 * The conntrack inputs mix tcp/udp/icmp(v6), no NAT / DNAT / SNAT / both, IPv4 and
 * ~10% IPv6. `natlens convert --to csv --kind rules|conntrack -o /dev/null FILE`
 * runs under `/usr/bin/time -f %M` (peak RSS); wall time is taken by this
 * process. The two sizes (and the peers) are run alternately, 3 rounds, and
 * medians are reported. Linearity: time(N)/time(N/2), ~2.0 when linear (below
 * 2 because of the fixed start-up cost, which is also measured on a small sample
 * and printed with the ratio net of it); above 2.6 is flagged NOT LINEAR. RSS(N)
 * against RSS(N/2) shows whether memory grows with the input (it should not:
 * convert streams records).
 *
 * Peers on the same file in the same run: `cat FILE > /dev/null` (the I/O
 * floor) for every bench; `iptables-restore --test` (parses and builds the same
 * rule set without committing) for iptables-save when it is installed and
 * works; `wc -l` and `awk '{n += NF}'` (a field-splitting floor, not equivalent
 * work) for the conntrack files.
 */
import { spawnSync } from "node:child_process";
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { once } from "node:events";

const OUT = "bench-out";
const CLI = process.env["NATLENS_CLI"] || "dist/src/cli.js";
const ROUNDS = 3;
const MAX_LINEAR = 2.6;
/** RSS(N)/RSS(N/2) above this means memory grows with the input. */
const MAX_RSS_GROWTH = 1.25;

interface Run {
  seconds: number;
  rssMb: number;
  status: number | null;
}

/** Run `cmd` under GNU time; stdout to /dev/null, stdin from `stdinFile` (or nothing). */
function timed(cmd: string, args: string[], stdinFile?: string): Run {
  const devnull = openSync("/dev/null", "w");
  const input = stdinFile ? openSync(stdinFile, "r") : "ignore";
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], {
    stdio: [input, devnull, "pipe"],
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(devnull);
  if (typeof input === "number") closeSync(input);
  const lines = r.stderr.toString().trim().split("\n");
  const kb = Number(lines[lines.length - 1]);
  const ok = r.status === 0;
  if (!ok) process.stderr.write(`  ! ${cmd} ${args.join(" ")}: exit ${r.status}\n${lines.slice(0, 12).join("\n")}\n`);
  return { seconds, rssMb: kb / 1024, status: r.status };
}

/** Deterministic pseudo-random numbers (xorshift32), so every run benchmarks the same file. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Write the lines `gen` yields to `file` (via a .part file), unless it exists. */
async function writeFile(file: string, gen: () => Generator<string>): Promise<void> {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file + ".part");
  let buf = "";
  for (const line of gen()) {
    buf += line + "\n";
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, "drain");
      buf = "";
    }
  }
  out.write(buf);
  out.end();
  await once(out, "finish");
  renameSync(file + ".part", file);
}

// ------------------------------------------------------- iptables-save --

const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");

/** Container c on bridge network c % NETS: 172.(18 + net).x.y, bridge br-<12 hex>. */
const NETS = 40;
function container(c: number): { ip: string; bridge: string } {
  const net = c % NETS;
  const host = Math.floor(c / NETS);
  return {
    ip: net === 0 ? `172.17.${(host >> 8) & 255}.${(host & 255) || 2}` : `172.${18 + (net % 14)}.${(host >> 8) & 255}.${(host & 255) || 2}`,
    bridge: net === 0 ? "docker0" : `br-${hex((net * 2654435761) >>> 0, 8)}${hex(net * 40503, 4).slice(-4)}`,
  };
}

function* iptablesSave(rules: number, seed: number): Generator<string> {
  const r = rng(seed);
  const cnt = () => {
    const p = r() % 8 === 0 ? r() % 100000 : 0;
    return `[${p}:${p * (40 + (r() % 1400))}]`;
  };
  const stamp = "Fri Nov 27 18:12:31 2026";
  const filterRules = Math.floor(rules * 0.45);
  const natRules = rules - filterRules;
  let n = 0;

  yield `# Generated by iptables-save v1.8.9 (nf_tables) on ${stamp}`;
  yield "*filter";
  for (const c of ["INPUT ACCEPT", "FORWARD DROP", "OUTPUT ACCEPT"]) yield `:${c} ${cnt()}`;
  for (const c of ["DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-USER"]) yield `:${c} - [0:0]`;
  const fixedF = [
    "-A FORWARD -j DOCKER-USER",
    "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
    "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"ssh in\" -j ACCEPT",
    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
  ];
  for (let k = 0; k < NETS; k++) {
    const b = container(k).bridge;
    fixedF.push(`-A FORWARD -o ${b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    fixedF.push(`-A FORWARD -o ${b} -j DOCKER`);
    fixedF.push(`-A FORWARD -i ${b} ! -o ${b} -j ACCEPT`);
    fixedF.push(`-A FORWARD -i ${b} -o ${b} -j ACCEPT`);
    fixedF.push(`-A DOCKER-ISOLATION-STAGE-1 -i ${b} ! -o ${b} -j DOCKER-ISOLATION-STAGE-2`);
    fixedF.push(`-A DOCKER-ISOLATION-STAGE-2 -o ${b} -j DROP`);
  }
  for (const l of fixedF) {
    yield `${cnt()} ${l}`;
    n++;
  }
  // the per-container ACCEPTs, with DOCKER-USER allow-lists now and then
  let c = 0;
  const tail = ["-A DOCKER-ISOLATION-STAGE-1 -j RETURN", "-A DOCKER-ISOLATION-STAGE-2 -j RETURN", "-A DOCKER-USER -j RETURN"];
  while (n < filterRules - tail.length) {
    const k = r() % 20;
    const ct = container(c);
    if (k === 0) {
      yield `${cnt()} -A DOCKER-USER -s 203.0.${r() % 256}.0/24 -i eth0 -p tcp -m multiport --dports ${1024 + (c % 60000)},8443,9000:9010 -m comment --comment "allow partner ${c}" -j ACCEPT`;
    } else if (k === 1) {
      yield `${cnt()} -A DOCKER-USER -i eth0 -p tcp -m tcp --dport ${1024 + (c % 60000)} -m comment --comment deny-${c} -j DROP`;
    } else if (k === 2) {
      yield `${cnt()} -A DOCKER -d ${ct.ip}/32 ! -i ${ct.bridge} -o ${ct.bridge} -p udp -m udp --dport 5353 -j ACCEPT`;
      c++;
    } else {
      yield `${cnt()} -A DOCKER -d ${ct.ip}/32 ! -i ${ct.bridge} -o ${ct.bridge} -p tcp -m tcp --dport 80 -j ACCEPT`;
      c++;
    }
    n++;
    if (r() % 97 === 0) yield `# container ${c}`;
  }
  for (const l of tail) {
    yield `${cnt()} ${l}`;
    n++;
  }
  yield "COMMIT";
  yield `# Completed on ${stamp}`;

  yield `# Generated by iptables-save v1.8.9 (nf_tables) on ${stamp}`;
  yield "*nat";
  for (const ch of ["PREROUTING ACCEPT", "INPUT ACCEPT", "OUTPUT ACCEPT", "POSTROUTING ACCEPT"]) yield `:${ch} ${cnt()}`;
  yield ":DOCKER - [0:0]";
  const fixedN = ["-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER", "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER"];
  for (let k = 0; k < NETS; k++) {
    const b = container(k).bridge;
    const sub = k === 0 ? "172.17.0.0/16" : `172.${18 + (k % 14)}.0.0/16`;
    fixedN.push(`-A POSTROUTING -s ${sub} ! -o ${b} -j MASQUERADE`);
    fixedN.push(`-A DOCKER -i ${b} -j RETURN`);
  }
  const natEnd = n + natRules;
  for (const l of fixedN) {
    yield `${cnt()} ${l}`;
    n++;
  }
  // per published port: the DNAT and the hairpin MASQUERADE
  let port = 0;
  c = 0;
  while (n < natEnd) {
    const ct = container(c);
    const k = r() % 16;
    const p = 1024 + (port++ % 64000);
    if (n % 2 === 0) {
      if (k === 0) yield `${cnt()} -A DOCKER -d 127.0.0.1/32 ! -i ${ct.bridge} -p tcp -m tcp --dport ${p} -j DNAT --to-destination ${ct.ip}:80`;
      else if (k === 1) yield `${cnt()} -A DOCKER ! -i ${ct.bridge} -p udp -m udp --dport ${p} -j DNAT --to-destination ${ct.ip}:5353`;
      else if (k === 2) yield `${cnt()} -A DOCKER ! -i ${ct.bridge} -p tcp -m tcp --dport ${p} -m comment --comment "published by compose ${c}" -j DNAT --to-destination ${ct.ip}:8080`;
      else yield `${cnt()} -A DOCKER ! -i ${ct.bridge} -p tcp -m tcp --dport ${p} -j DNAT --to-destination ${ct.ip}:80`;
    } else {
      yield `${cnt()} -A POSTROUTING -s ${ct.ip}/32 -d ${ct.ip}/32 -p tcp -m tcp --dport 80 -j MASQUERADE`;
      c++;
    }
    n++;
  }
  yield "COMMIT";
  yield `# Completed on ${stamp}`;
}

// ----------------------------------------------------------- conntrack --

/** An address pool: IPv4 or IPv6 text for index i. */
function v4(a: number, b: number, c: number, d: number): string {
  return `${a}.${b}.${c}.${d}`;
}

/** Full (kernel /proc) or compressed (conntrack tool) IPv6 text of 2001:db8:PP::x / fd00:17::242:ac11:x. */
function v6(prefix: "client" | "host" | "container", x: number, full: boolean): string {
  const h = (n: number) => (full ? hex(n & 0xffff, 4) : (n & 0xffff).toString(16));
  if (prefix === "client") {
    const words = [0x2001, 0xdb8, 0x100 + ((x >> 16) & 0xff), 0, 0, 0, (x >> 8) & 0xff, x & 0xffff || 1];
    return full ? words.map(h).join(":") : `2001:db8:${h(words[2]!)}::${h(words[6]!)}:${h(words[7]!)}`;
  }
  if (prefix === "host") return full ? "2001:0db8:0001:0000:0000:0000:0000:0001" : "2001:db8:1::1";
  return full ? `fd00:0017:0000:0000:0000:0242:ac11:${h(x || 2)}` : `fd00:17::242:ac11:${h(x || 2)}`;
}

/** One conntrack entry; `proc` selects /proc/net/nf_conntrack spelling. */
function conntrackLine(r: () => number, proc: boolean): string {
  const six = r() % 10 === 0;
  const hostIp = six ? v6("host", 0, proc) : "198.51.100.1";
  const ctr = (k: number) => (six ? v6("container", k % 200, proc) : v4(172, 17, 0, 2 + (k % 200)));
  const client = (k: number) => (six ? v6("client", k, proc) : v4(1 + (k % 223), (k >> 8) & 255, (k >> 16) & 255, 1 + (k % 254)));
  const ext = (k: number) => (six ? v6("client", k ^ 0x5a5a, proc) : v4(203, 0, 113, 1 + (k % 254)));
  const gw = six ? v6("container", 1, proc) : "172.17.0.1";

  const pr = r() % 10;
  const proto = pr < 6 ? "tcp" : pr < 9 ? "udp" : six ? "icmpv6" : "icmp";
  const protoNum = proto === "tcp" ? 6 : proto === "udp" ? 17 : proto === "icmp" ? 1 : 58;
  const nat = r() % 4; // 0 none, 1 DNAT, 2 SNAT, 3 both
  const k = r();
  const cport = 32768 + (r() % 28000);
  const pub = 8000 + (r() % 100);
  let os: string, od: string, rs: string, rd: string;
  let osp = cport, odp = pub, rsp = pub, rdp = cport;
  switch (nat) {
    case 1: // external client -> published port, DNATed to a container
      os = client(k);
      od = hostIp;
      rs = ctr(k);
      rd = os;
      rsp = 80;
      break;
    case 2: // container -> outside, masqueraded
      os = ctr(k);
      od = ext(k);
      odp = 443;
      rs = od;
      rsp = 443;
      rd = hostIp;
      rdp = r() % 3 === 0 ? 1024 + (r() % 60000) : cport;
      break;
    case 3: // hairpin: container -> published port of another container, DNAT + MASQUERADE
      os = ctr(k);
      od = hostIp;
      rs = ctr(k + 7);
      rsp = 80;
      rd = gw;
      break;
    default: // direct
      os = client(k);
      od = ctr(k);
      odp = 80;
      rs = od;
      rsp = 80;
      rd = os;
  }
  const l3 = six ? "ipv6     10 " : "ipv4     2 ";
  let head = `${l3}${proto.padEnd(8)} ${protoNum} `;
  let orig: string, reply: string;
  let flags = "";
  let unreplied = false;
  if (proto === "tcp") {
    const s = r() % 10;
    const state = s < 6 ? "ESTABLISHED" : s < 8 ? "TIME_WAIT" : s < 9 ? "CLOSE_WAIT" : "SYN_SENT";
    unreplied = state === "SYN_SENT";
    const timeout = state === "ESTABLISHED" ? 431000 + (r() % 1000) : r() % 120;
    head += `${timeout} ${state} `;
    flags = unreplied ? "" : " [ASSURED]";
    orig = `src=${os} dst=${od} sport=${osp} dport=${odp}`;
    reply = `src=${rs} dst=${rd} sport=${rsp} dport=${rdp}`;
  } else if (proto === "udp") {
    unreplied = r() % 5 === 0;
    head += `${r() % 180} `;
    flags = unreplied ? "" : r() % 2 ? " [ASSURED]" : "";
    orig = `src=${os} dst=${od} sport=${osp} dport=${odp}`;
    reply = `src=${rs} dst=${rd} sport=${rsp} dport=${rdp}`;
  } else {
    const id = r() % 65536;
    head += `${r() % 30} `;
    const [req, rep] = six ? [128, 129] : [8, 0];
    orig = `src=${os} dst=${od} type=${req} code=0 id=${id}`;
    reply = `src=${rs} dst=${rd} type=${rep} code=0 id=${id}`;
  }
  const tail = proc ? "mark=0 zone=0 use=2" : "mark=0 use=1";
  return `${head}${orig} ${unreplied ? "[UNREPLIED] " : ""}${reply}${flags} ${tail}`;
}

function* conntrackDump(entries: number, seed: number, proc: boolean): Generator<string> {
  const r = rng(seed);
  for (let i = 0; i < entries; i++) yield conntrackLine(r, proc);
}

// --------------------------------------------------------------- bench --

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Peer {
  name: string;
  cmd: string;
  args: (file: string) => string[];
  stdin?: boolean;
}

const CAT: Peer = { name: "cat FILE > /dev/null (I/O floor)", cmd: "cat", args: (f) => [f] };

/** True when the peer runs cleanly on a small input (installed, permitted). */
function peerWorks(p: Peer, file: string): boolean {
  const r = spawnSync(p.cmd, p.args(file), { stdio: [p.stdin ? openSync(file, "r") : "ignore", "ignore", "pipe"] });
  return r.status === 0;
}

const fmt = (runs: Run[]) => `${runs.map((r) => r.seconds.toFixed(2)).join(" / ")} s`;

async function bench(
  id: string,
  unit: string,
  big: number,
  kind: string,
  gen: (count: number) => Generator<string>,
  peers: Peer[],
  probe: string,
): Promise<void> {
  const sizes = [big, big / 2];
  const files = sizes.map((s) => path.join(OUT, `${id}_${s}`));
  for (let k = 0; k < sizes.length; k++) await writeFile(files[k]!, () => gen(sizes[k]!));
  const usable = peers.filter((p) => {
    const ok = peerWorks(p, probe);
    if (!ok) console.log(`  (peer ${p.name} not available here: skipped)`);
    return ok;
  });
  console.log(`${id}:`);
  for (let k = 0; k < sizes.length; k++) {
    console.log(`  ${files[k]}: ${sizes[k]!.toLocaleString("en")} ${unit}, ${(statSync(files[k]!).size / 1e6).toFixed(0)} MB`);
  }
  const ours: Run[][] = sizes.map(() => []);
  /** The same command on a small sample: node start-up and module loading, the fixed cost. */
  const startup: Run[] = [];
  const theirs: Run[][][] = usable.map(() => sizes.map(() => []));
  for (let round = 0; round < ROUNDS; round++) {
    // alternate the order of the sizes each round
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    startup.push(timed(process.execPath, [CLI, "convert", "--to", "csv", "--kind", kind, "-o", "/dev/null", probe]));
    for (const k of order) {
      ours[k]!.push(timed(process.execPath, [CLI, "convert", "--to", "csv", "--kind", kind, "-o", "/dev/null", files[k]!]));
      usable.forEach((p, j) => theirs[j]![k]!.push(timed(p.cmd, p.args(files[k]!), p.stdin ? files[k] : undefined)));
    }
  }
  const line = (name: string, runs: Run[][]) => {
    const t = runs.map((rs) => median(rs.map((r) => r.seconds)));
    const rss = runs.map((rs) => Math.max(...rs.map((r) => r.rssMb)));
    const ratio = t[0]! / t[1]!;
    const bad = runs.some((rs) => rs.some((r) => r.status !== 0));
    console.log(`  ${name}`);
    for (let k = 0; k < sizes.length; k++) {
      const us = (t[k]! * 1e6) / sizes[k]!;
      console.log(`    ${sizes[k]!.toLocaleString("en").padStart(9)} ${unit}: ${fmt(runs[k]!)} (median ${t[k]!.toFixed(2)} s, ${us.toFixed(2)} µs/${unit === "entries" ? "entry" : unit.replace(/s$/, "")}), peak RSS ${rss[k]!.toFixed(0)} MB`);
    }
    console.log(`    time(N)/time(N/2) = ${ratio.toFixed(2)}; RSS(N)/RSS(N/2) = ${(rss[0]! / rss[1]!).toFixed(2)}${bad ? "; SOME RUNS FAILED (non-zero exit)" : ""}`);
    return { ratio, rssGrowth: rss[0]! / rss[1]!, bad, t, rss };
  };
  const o = line(`natlens convert --to csv --kind ${kind} (${CLI})`, ours);
  const t0 = median(startup.map((r) => r.seconds));
  const net = (o.t[0]! - t0) / (o.t[1]! - t0);
  console.log(`    start-up (same command on ${probe}): ${fmt([...startup])} (median ${t0.toFixed(2)} s), peak RSS ${Math.max(...startup.map((r) => r.rssMb)).toFixed(0)} MB; ratio net of start-up = ${net.toFixed(2)}`);
  const peerT = usable.map((p, j) => line(p.name, theirs[j]!));
  const verdicts = [
    o.ratio <= MAX_LINEAR ? `linear (ratio ${o.ratio.toFixed(2)} <= ${MAX_LINEAR}; net of start-up ${net.toFixed(2)})` : `NOT LINEAR (ratio ${o.ratio.toFixed(2)} > ${MAX_LINEAR}; net of start-up ${net.toFixed(2)})`,
    o.rssGrowth <= MAX_RSS_GROWTH ? `RSS flat (x${o.rssGrowth.toFixed(2)} for x2 input)` : `RSS GROWS WITH INPUT (x${o.rssGrowth.toFixed(2)} for x2 input)`,
  ];
  if (o.bad) verdicts.push("natlens EXITED NON-ZERO (skipped lines?)");
  for (let j = 0; j < usable.length; j++) verdicts.push(`${(o.t[0]! / peerT[j]!.t[0]!).toFixed(1)}x ${usable[j]!.cmd} at N`);
  console.log(`  => ${verdicts.join("; ")}`);
}

const SAMPLE_IPT = "samples/lab-ipv6/commands/iptables-save_-c";
const SAMPLE_CT = "samples/lab-ipv6/commands/conntrack_-L_-o_extended";

const BENCHES: Record<string, () => Promise<void>> = {
  "iptables-save": () =>
    bench(
      "iptables-save",
      "rules",
      100_000,
      "rules",
      (n) => iptablesSave(n, 0x1b7ab1e5),
      [CAT, { name: "iptables-restore --test < FILE (same grammar, no commit)", cmd: "iptables-restore", args: () => ["--test"], stdin: true }],
      SAMPLE_IPT,
    ),
  conntrack: () =>
    bench(
      "conntrack-extended",
      "entries",
      1_000_000,
      "conntrack",
      (n) => conntrackDump(n, 0xc0ffee, false),
      [CAT, { name: "wc -l FILE", cmd: "wc", args: (f) => ["-l", f] }, { name: "awk '{n += NF}' FILE (field-split floor)", cmd: "awk", args: (f) => ["{n += NF} END {print n}", f] }],
      SAMPLE_CT,
    ),
  nf_conntrack: () =>
    bench(
      "nf_conntrack",
      "entries",
      1_000_000,
      "conntrack",
      (n) => conntrackDump(n, 0xbadcafe, true),
      [CAT, { name: "awk '{n += NF}' FILE (field-split floor)", cmd: "awk", args: (f) => ["{n += NF} END {print n}", f] }],
      SAMPLE_CT,
    ),
};

console.log(`natlens CLI: ${CLI}; node ${process.version}; ${ROUNDS} rounds, sizes alternated`);
const only = process.argv.slice(2);
for (const [name, fn] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
