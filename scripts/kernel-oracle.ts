/**
 * The kernel oracle (a dev tool, root only; `npm run oracle` re-records, CI only replays):
 * for every case in test/oracle/cases/<name>/ (case.json + rule files written by
 * scripts/oracle-cases.ts) build throwaway network namespaces named `oracle-w<N>-*`,
 * load the case's rules into the "host" namespace, capture what the kernel then
 * holds (iptables-save, ip6tables-save, the legacy variants, nft list ruleset,
 * ip -o addr, routes) into the case's `captured/` folder, send the case's packet
 * for real and write what happened to `expected.json`.
 *
 * Topology (per worker; the root namespace is never touched):
 *   client  eth0 198.51.100.10/24, 203.0.113.5/24, 2001:db8:1::10/64 -- host eth0
 *   host    eth0 198.51.100.1/24, 2001:db8:1::1/64; default via the client
 *           docker0 172.17.0.1/16 + fd00:17::1/64, port veth-c1 -> c1 172.17.0.2, fd00:17::2
 *           br-lab 10.99.0.1/24, port veth-c2 -> c2 10.99.0.2
 *           ip_forward and IPv6 forwarding on
 * A listener in each namespace logs the accepted (TCP) or received (UDP) socket's
 * local address:port and peer; UDP datagrams are answered. The sender binds the
 * case's source address and port.
 *
 * Usage: node dist/scripts/kernel-oracle.js [--runs N] [--jobs N] [--only SUBSTR[,SUBSTR..]] [--cases DIR]
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { release } from "node:os";

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const PROBE = join(HERE, "oracle", "probe.js");
const REPO = resolve(HERE, "..", "..");

export type Ingress = "client" | "c1" | "c2" | "host";

export interface OracleCase {
  name: string;
  category: string;
  description: string;
  /** Rule files in the case folder and the command that loads each, in order. */
  rules: { loader: "iptables-nft-restore" | "ip6tables-nft-restore" | "iptables-legacy-restore" | "ip6tables-legacy-restore" | "nft"; file: string }[];
  packet: { proto: "tcp" | "udp"; src: string; sport: number; dst: string; dport: number; from: Ingress };
  /** Ports every namespace listens on. */
  listen: number[];
  /** sysctls set in the host namespace before the rules are loaded (e.g. route_localnet). */
  sysctl?: Record<string, string>;
  /**
   * The rule dumps a support bundle of this host holds, when not every one
   * (file name in captured/ -> command), e.g. only `iptables-save -t nat`:
   * the cases where trace must answer `unknown`. Addresses and routes are
   * always captured.
   */
  captures?: [string, string[]][];
}

export interface Delivery {
  ns: Ingress;
  local: string;
  peer: string;
}

export interface Outcome {
  /** What happened to the first packet. */
  verdict: "delivered" | "dropped" | "rejected";
  delivered: Delivery | null;
  /** For a delivered first packet: did the reply reach the sender? */
  connection: "established" | "reply-lost" | null;
  sender: { result: string; errno?: string; remote?: string; icmpUnreach: number };
  conntrack: string[];
}

const NS_SUFFIX: Record<Ingress, string> = { client: "cl", host: "host", c1: "c1", c2: "c2" };

function nsName(worker: number, who: Ingress): string {
  return `oracle-w${worker}-${NS_SUFFIX[who]}`;
}

async function sh(script: string): Promise<string> {
  const { stdout } = await run("sh", ["-e", "-c", script], { maxBuffer: 16 << 20 });
  return stdout;
}

async function nsExec(ns: string, argv: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((res) => {
    const p = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("close", (code) => res({ stdout, stderr, code: code ?? 1 }));
    p.stdin.on("error", () => undefined);
    p.stdin.end(input ?? "");
  });
}

async function teardown(worker: number): Promise<void> {
  for (const who of ["client", "c1", "c2", "host"] as Ingress[]) {
    const ns = nsName(worker, who);
    if (existsSync(`/run/netns/${ns}`)) await run("ip", ["netns", "del", ns]).catch(() => undefined);
  }
}

async function setup(worker: number, sysctl: Record<string, string>): Promise<void> {
  await teardown(worker);
  const H = nsName(worker, "host");
  const CL = nsName(worker, "client");
  const C1 = nsName(worker, "c1");
  const C2 = nsName(worker, "c2");
  const extra = Object.entries(sysctl)
    .map(([k, v]) => `ip netns exec ${H} sysctl -q -w ${k}=${v}`)
    .join("\n");
  await sh(`
for n in ${H} ${CL} ${C1} ${C2}; do ip netns add $n; ip -n $n link set lo up; done
ip netns exec ${H} sysctl -q -w net.ipv4.ip_forward=1
ip netns exec ${H} sysctl -q -w net.ipv6.conf.all.forwarding=1
ip -n ${H} link add eth0 type veth peer name eth0 netns ${CL}
ip -n ${H} addr add 198.51.100.1/24 dev eth0
ip -n ${H} addr add 2001:db8:1::1/64 dev eth0 nodad
ip -n ${H} link set eth0 up
ip -n ${CL} addr add 198.51.100.10/24 dev eth0
ip -n ${CL} addr add 203.0.113.5/24 dev eth0
ip -n ${CL} addr add 2001:db8:1::10/64 dev eth0 nodad
ip -n ${CL} link set eth0 up
ip -n ${CL} route add default via 198.51.100.1
ip -n ${CL} -6 route add default via 2001:db8:1::1
ip -n ${H} link add docker0 type bridge
ip -n ${H} addr add 172.17.0.1/16 dev docker0
ip -n ${H} addr add fd00:17::1/64 dev docker0 nodad
ip -n ${H} link add veth-c1 type veth peer name eth0 netns ${C1}
ip -n ${H} link set veth-c1 master docker0
ip -n ${H} link set veth-c1 up
ip -n ${H} link set docker0 up
ip -n ${C1} addr add 172.17.0.2/16 dev eth0
ip -n ${C1} addr add fd00:17::2/64 dev eth0 nodad
ip -n ${C1} link set eth0 up
ip -n ${C1} route add default via 172.17.0.1
ip -n ${C1} -6 route add default via fd00:17::1
ip -n ${H} link add br-lab type bridge
ip -n ${H} addr add 10.99.0.1/24 dev br-lab
ip -n ${H} link add veth-c2 type veth peer name eth0 netns ${C2}
ip -n ${H} link set veth-c2 master br-lab
ip -n ${H} link set veth-c2 up
ip -n ${H} link set br-lab up
ip -n ${C2} addr add 10.99.0.2/24 dev eth0
ip -n ${C2} link set eth0 up
ip -n ${C2} route add default via 10.99.0.1
ip -n ${H} route add default via 198.51.100.10
ip -n ${H} -6 route add default via 2001:db8:1::10
${extra}
`);
}

const LOADER_ARGV: Record<OracleCase["rules"][number]["loader"], string[]> = {
  "iptables-nft-restore": ["iptables-nft-restore"],
  "ip6tables-nft-restore": ["ip6tables-nft-restore"],
  "iptables-legacy-restore": ["iptables-legacy-restore"],
  "ip6tables-legacy-restore": ["ip6tables-legacy-restore"],
  nft: ["nft", "-f", "-"],
};

/** Captures taken in the host namespace: file name in captured/ -> command. */
const CAPTURES: [string, string[]][] = [
  ["iptables-save", ["iptables-nft-save"]],
  ["ip6tables-save", ["ip6tables-nft-save"]],
  ["iptables-legacy-save", ["iptables-legacy-save"]],
  ["ip6tables-legacy-save", ["ip6tables-legacy-save"]],
  ["nft_list_ruleset", ["nft", "list", "ruleset"]],
  ["ip_-o_addr", ["ip", "-o", "addr"]],
  ["ip_route", ["ip", "route"]],
  ["ip_-6_route", ["ip", "-6", "route"]],
];

async function loadRules(worker: number, c: OracleCase, dir: string): Promise<void> {
  const H = nsName(worker, "host");
  for (const r of c.rules) {
    const text = readFileSync(join(dir, r.file), "utf8");
    const out = await nsExec(H, LOADER_ARGV[r.loader], text);
    if (out.code !== 0) throw new Error(`${c.name}: ${r.loader} < ${r.file} failed: ${out.stderr.trim()}`);
  }
}

async function capture(worker: number, dir: string, only?: [string, string[]][]): Promise<void> {
  const H = nsName(worker, "host");
  const cap = join(dir, "captured");
  rmSync(cap, { recursive: true, force: true });
  mkdirSync(cap, { recursive: true });
  const list = only ? [...only, ...CAPTURES.filter(([f]) => f.startsWith("ip_"))] : CAPTURES;
  for (const [file, argv] of list) {
    const out = await nsExec(H, argv);
    if (out.code !== 0) throw new Error(`capture ${argv.join(" ")} failed: ${out.stderr.trim()}`);
    // an empty dump (no table of that kind loaded) is left out, as a bundle would have it
    const meaningful = out.stdout.split("\n").some((l) => l.trim() !== "" && !l.startsWith("#"));
    if (meaningful) writeFileSync(join(cap, file), out.stdout);
  }
}

interface Listener {
  who: Ingress;
  proc: ChildProcess;
  lines: string[];
}

async function startListener(worker: number, who: Ingress, proto: string, ports: number[]): Promise<Listener> {
  const proc = spawn("ip", ["netns", "exec", nsName(worker, who), process.execPath, PROBE, "listen", proto, ports.join(",")], { stdio: ["ignore", "pipe", "pipe"] });
  const l: Listener = { who, proc, lines: [] };
  let buf = "";
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`listener in ${who} not ready`)), 60000);
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === "ready") {
          clearTimeout(t);
          res();
        } else if (line) l.lines.push(line);
      }
    });
    proc.on("exit", () => {
      clearTimeout(t);
      rej(new Error(`listener in ${who} exited`));
    });
  });
  return l;
}

function stopListener(l: Listener): void {
  l.proc.removeAllListeners("exit");
  if (l.proc.pid !== undefined && l.proc.exitCode === null) l.proc.kill("SIGTERM");
}

/** SYN_RECV request sockets (state 03) in a namespace: the first packet arrived but the handshake did not finish. */
async function synRecv(worker: number, who: Ingress): Promise<string[]> {
  const out = await nsExec(nsName(worker, who), ["sh", "-c", "cat /proc/net/tcp /proc/net/tcp6"]);
  return out.stdout.split("\n").filter((l) => l.trim().split(/\s+/)[3] === "03");
}

function hexAddrPort(h: string): string {
  const [a, p] = h.split(":");
  const port = parseInt(p!, 16);
  if (a!.length === 8) {
    const b = Buffer.from(a!, "hex");
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}:${port}`;
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = Buffer.from(a!.slice(i, i + 8), "hex").reverse().toString("hex");
    words.push(w.slice(0, 4), w.slice(4));
  }
  const v6 = words.map((w) => w.replace(/^0+(?=.)/, "")).join(":");
  const m = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(v6);
  if (m) {
    const n = (parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}:${port}`;
  }
  return `[${compress6(v6)}]:${port}`;
}

function compress6(full: string): string {
  const parts = full.split(":");
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < parts.length; ) {
    if (parts[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < parts.length && parts[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(":");
  return `${parts.slice(0, best).join(":")}::${parts.slice(best + bestLen).join(":")}`;
}

async function sendOnce(worker: number, c: OracleCase): Promise<Outcome> {
  const p = c.packet;
  const all: Ingress[] = ["client", "host", "c1", "c2"];
  const started = await Promise.allSettled(all.map((w) => startListener(worker, w, p.proto, c.listen)));
  const listeners = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    // never leave a listener behind when another one did not start
    listeners.forEach(stopListener);
    throw (failed as PromiseRejectedResult).reason;
  }
  try {
    const out = await nsExec(nsName(worker, p.from), [process.execPath, PROBE, "send", p.proto, p.src, String(p.sport), p.dst, String(p.dport), "2500"]);
    const sender = JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}") as Outcome["sender"];
    await new Promise((r) => setTimeout(r, 150));
    const deliveries: Delivery[] = [];
    for (const l of listeners) {
      for (const line of l.lines) {
        const d = JSON.parse(line) as { local: string; peer: string };
        deliveries.push({ ns: l.who, local: d.local, peer: d.peer });
      }
    }
    const ct = (await nsExec(nsName(worker, "host"), ["conntrack", "-L"])).stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => l.replace(/\s+/g, " ").replace(/^(\S+ \d+ )\d+ /, "$1").trim())
      .sort();
    let verdict: Outcome["verdict"];
    let connection: Outcome["connection"] = null;
    let delivered: Delivery | null = deliveries[0] ?? null;
    if (delivered) {
      verdict = "delivered";
      connection = sender.result === "connected" || sender.result === "reply" ? "established" : "reply-lost";
    } else {
      // a TCP SYN that reached a listener whose SYN-ACK got lost leaves a SYN_RECV request socket
      if (p.proto === "tcp") {
        for (const who of all) {
          for (const line of await synRecv(worker, who)) {
            const f = line.trim().split(/\s+/);
            const local = hexAddrPort(f[1]!);
            if (!c.listen.includes(Number(local.slice(local.lastIndexOf(":") + 1)))) continue;
            delivered = { ns: who, local, peer: hexAddrPort(f[2]!) };
          }
        }
      }
      if (delivered) {
        verdict = "delivered";
        connection = "reply-lost";
      } else if (sender.result === "refused" || sender.result === "unreachable" || sender.icmpUnreach > 0) verdict = "rejected";
      else verdict = "dropped";
    }
    if (deliveries.length > 1) throw new Error(`${c.name}: delivered ${deliveries.length} times: ${JSON.stringify(deliveries)}`);
    return { verdict, delivered, connection, sender, conntrack: ct };
  } finally {
    listeners.forEach(stopListener);
  }
}

function outcomeKey(o: Outcome): string {
  return JSON.stringify([o.verdict, o.delivered, o.connection]);
}

async function recordCase(worker: number, dir: string, runs: number): Promise<{ name: string; stable: boolean; outcome: Outcome }> {
  const c = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as OracleCase;
  const outcomes: Outcome[] = [];
  for (let i = 0; i < runs; i++) {
    await setup(worker, c.sysctl ?? {});
    await loadRules(worker, c, dir);
    if (i === 0) await capture(worker, dir, c.captures);
    outcomes.push(await sendOnce(worker, c));
  }
  await teardown(worker);
  const keys = new Set(outcomes.map(outcomeKey));
  const stable = keys.size === 1;
  const o = outcomes[0]!;
  const expected = {
    $comment: "recorded by scripts/kernel-oracle.ts (npm run oracle); do not edit",
    kernel: release(),
    runs,
    stable,
    verdict: o.verdict,
    delivered: o.delivered,
    connection: o.connection,
    sender: o.sender,
    conntrack: o.conntrack,
    ...(stable ? {} : { allRuns: outcomes.map((x) => ({ verdict: x.verdict, delivered: x.delivered, connection: x.connection })) }),
  };
  writeFileSync(join(dir, "expected.json"), `${JSON.stringify(expected, null, 2)}\n`);
  return { name: c.name, stable, outcome: o };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
  };
  const runs = Number(opt("--runs", "3"));
  const jobs = Number(opt("--jobs", "4"));
  const only = opt("--only", "");
  const casesDir = resolve(opt("--cases", join(REPO, "test", "oracle", "cases")));
  if (process.getuid?.() !== 0) {
    process.stderr.write("kernel-oracle: needs root (network namespaces)\n");
    process.exit(2);
  }
  const names = readdirSync(casesDir)
    .filter((n) => existsSync(join(casesDir, n, "case.json")) && (only === "" || only.split(",").some((o) => n.includes(o))))
    .sort();
  let next = 0;
  let unstable = 0;
  let failed = 0;
  const counts: Record<string, number> = {};
  const worker = async (w: number): Promise<void> => {
    while (next < names.length) {
      const name = names[next++]!;
      try {
        const r = await recordCase(w, join(casesDir, name), runs);
        counts[r.outcome.verdict] = (counts[r.outcome.verdict] ?? 0) + 1;
        if (!r.stable) unstable++;
        const d = r.outcome.delivered;
        process.stdout.write(`${r.stable ? "" : "UNSTABLE "}${name}: ${r.outcome.verdict}${d ? ` ${d.ns} ${d.local} from ${d.peer} (${r.outcome.connection})` : ""}\n`);
      } catch (e) {
        failed++;
        process.stdout.write(`FAILED ${name}: ${(e as Error).message}\n`);
        await teardown(w);
      }
    }
  };
  const stop = (): void => {
    void Promise.all(Array.from({ length: jobs }, (_, w) => teardown(w))).then(() => process.exit(130));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await Promise.all(Array.from({ length: jobs }, (_, w) => worker(w)));
  process.stdout.write(`\n${names.length} cases, ${JSON.stringify(counts)}, ${unstable} unstable, ${failed} failed\n`);
  if (failed > 0 || unstable > 0) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
