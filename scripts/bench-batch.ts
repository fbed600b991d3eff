/**
 * Benchmark of `natlens batch` (issue 13): a generated fleet (scripts/gen-fleet.ts,
 * made from the real samples, a few hosts broken on purpose) analysed by one
 * `batch --out` run, against the naive loop a user would write otherwise,
 * `for h in ...; do natlens analyze "$h" --format json -o ...; done`, over an
 * evenly spread sample of the same hosts (BENCH_NAIVE, 20), extrapolated to
 * the fleet. Both run in this process's turn, on the same files.
 *
 *   node dist/scripts/bench-batch.js                  # 100 and 1,000 hosts
 *   BENCH_HOSTS=100,1000,10000 node ...               # growth up to 10,000
 *   NATLENS_CLI=.build-x/src/cli.js node ...          # run another build
 *   BENCH_ARCHIVES=0 node ...                         # every host a directory
 *   BENCH_FLEET_TAR=0 node ...                        # without the fleet-archive run
 *
 * The fleet (a quarter each directories, .tar.gz, .tar.xz and .zip) is
 * generated once into bench-out/batch-fleet/ (git-ignored) with as many
 * distinct hosts as the largest size, up to BENCH_DISTINCT (1,000); a
 * smaller size takes its first hosts, named on the command line. Beyond
 * BENCH_DISTINCT, the inputs are hard links of the distinct hosts under
 * other names (bench-out/batch-fleet-links/<k>/..., ids made unique with
 * -2, -3...): every host is still read, decompressed and analysed, but
 * generating 10,000 distinct hosts would take a quarter of an hour and
 * 1 GB, and the page cache holds one copy of each file.
 *
 * At 1,000 hosts the same hosts are also packed into one fleet archive
 * (bench-out/batch-fleet-1000.tar, a plain tar of host directories and
 * host archives, made with GNU tar) and analysed by `batch` from it: the
 * streaming pass, its time and its memory.
 *
 * Prints per run: wall time, hosts/s, CPU time (user+sys of the batch
 * process and its children), peak RSS (GNU time's %M: the batch process
 * with all its worker threads; for the loop, the largest of its analyze
 * processes, which run one after another) and the load average (1 minute)
 * before the run; then the ratio against the loop and the growth from the
 * smallest size. Targets (1,000 hosts, on this 2-core machine): <= 0.1 x the
 * loop's time, < 60 s, < 1 GB. Speed is measured here, never asserted in tests.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, linkSync, openSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { generateFleet, type GeneratedHost } from "./gen-fleet.js";

const CLI = path.resolve(process.env["NATLENS_CLI"] ?? "dist/src/cli.js");
const SIZES = (process.env["BENCH_HOSTS"] ?? "100,1000").split(",").map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const NAIVE = Math.max(1, Number(process.env["BENCH_NAIVE"] ?? 20));
const ROOT = path.resolve("bench-out");
/** BENCH_ARCHIVES=0: every host a directory (the fleet is then generated into another folder). */
const ARCHIVES = process.env["BENCH_ARCHIVES"] !== "0";
const FLEET = path.join(ROOT, ARCHIVES ? "batch-fleet" : "batch-fleet-dirs");
const DISTINCT = Math.max(1, Number(process.env["BENCH_DISTINCT"] ?? 1000));
const LINKS = path.join(ROOT, ARCHIVES ? "batch-fleet-links" : "batch-fleet-dirs-links");
const FLEET_TAR = ARCHIVES && process.env["BENCH_FLEET_TAR"] !== "0";
const TARGET_RATIO = 0.1;
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 1024;

interface Timed {
  seconds: number;
  /** User + system CPU seconds of the process and its children. */
  cpu: number;
  rssMb: number;
  /** 1-minute load average just before the run. */
  load: string;
  status: number | null;
  stderr: string;
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

function timed(args: string[]): Timed {
  const load = loadavg();
  const start = process.hrtime.bigint();
  // stdout to /dev/null, not closed: batch prints its summary there, and a closed stdout is an error
  const devNull = openSync("/dev/null", "w");
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", ...args], { stdio: ["ignore", devNull, "pipe"], maxBuffer: 1 << 26 });
  closeSync(devNull);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const lines = r.stderr.toString().trim().split("\n");
  const [user, sys, rss] = lines[lines.length - 1]!.split(" ").map(Number);
  return { seconds, cpu: user! + sys!, rssMb: rss! / 1024, load, status: r.status, stderr: lines.slice(0, -1).join("\n") };
}

/** Hard links of every file below `from` into `to` (same names). */
function linkTree(from: string, to: string): void {
  if (statSync(from).isFile()) {
    mkdirSync(path.dirname(to), { recursive: true });
    linkSync(from, to);
    return;
  }
  for (const e of readdirSync(from)) linkTree(path.join(from, e), path.join(to, e));
}

/** The inputs of an n-host run: the distinct hosts, then hard-linked copies of them under other names. */
function inputsFor(all: readonly GeneratedHost[], n: number): string[] {
  const out = all.slice(0, Math.min(n, all.length)).map((h) => h.path);
  for (let k = 1; out.length < n; k++) {
    for (const h of all) {
      if (out.length >= n) break;
      const to = path.join(LINKS, String(k), path.relative(FLEET, h.path));
      if (!existsSync(to)) linkTree(h.path, to);
      out.push(to);
    }
  }
  return out;
}

/** The fleet, generated once for the largest size (a marker file records how many hosts it has). */
async function fleet(n: number): Promise<GeneratedHost[]> {
  const marker = path.join(FLEET, "HOSTS.json");
  if (existsSync(marker)) {
    const hosts = JSON.parse(readFileSync(marker, "utf8")) as GeneratedHost[];
    if (hosts.length >= n) return hosts;
  }
  rmSync(FLEET, { recursive: true, force: true });
  const t0 = Date.now();
  const hosts = await generateFleet(FLEET, n, { archives: ARCHIVES });
  writeFileSync(marker, JSON.stringify(hosts));
  console.log(`generated ${n} hosts in ${FLEET} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return hosts;
}

const mb = (x: number) => `${x.toFixed(0)} MB`;
const all = await fleet(Math.min(SIZES[SIZES.length - 1]!, DISTINCT));
const line = (what: string, n: number, r: Timed) =>
  `  ${what}: ${r.seconds.toFixed(1)} s wall, ${(n / r.seconds).toFixed(1)} hosts/s, ${r.cpu.toFixed(1)} s CPU, peak RSS ${mb(r.rssMb)}, exit ${r.status}, load ${r.load}`;
console.log(`natlens batch benchmark: ${SIZES.join(", ")} hosts (${ARCHIVES ? "a quarter each directories, .tar.gz, .tar.xz, .zip" : "directories"}), ${availableParallelism()} CPUs (--jobs default), cli ${CLI}`);

const results = new Map<number, Timed>();
for (const n of SIZES) {
  const out = path.join(ROOT, `batch-out-${n}`);
  rmSync(out, { recursive: true, force: true });
  const inputs = inputsFor(all, n);
  const r = timed([process.execPath, CLI, "batch", ...inputs, "--out", out, "-q"]);
  results.set(n, r);
  const summary = r.stderr.split("\n").find((l) => l.startsWith("natlens batch:")) ?? r.stderr.slice(0, 400);
  console.log(`${line(`batch ${n} hosts${n > all.length ? ` (${all.length} distinct, the rest hard links)` : ""}`, n, r)}  | ${summary}`);
}

// The same 1,000 (or largest size up to 1,000) hosts packed into one fleet archive.
const packedN = SIZES.includes(1000) ? 1000 : Math.min(SIZES[SIZES.length - 1]!, all.length);
if (FLEET_TAR) {
  const tarFile = path.join(ROOT, `batch-fleet-${packedN}.tar`);
  if (!existsSync(tarFile)) {
    const rel = all.slice(0, packedN).map((h) => path.relative(ROOT, h.path));
    const t = spawnSync("tar", ["-cf", tarFile, "-C", ROOT, ...rel], { stdio: ["ignore", "ignore", "inherit"] });
    if (t.status !== 0) throw new Error("tar failed");
  }
  const out = path.join(ROOT, `batch-out-${packedN}-tar`);
  rmSync(out, { recursive: true, force: true });
  const r = timed([process.execPath, CLI, "batch", tarFile, "--out", out, "-q"]);
  const summary = r.stderr.split("\n").find((l) => l.startsWith("natlens batch:")) ?? r.stderr.slice(0, 400);
  console.log(`${line(`batch of one fleet .tar holding the ${packedN} hosts (${mb(statSync(tarFile).size / 1048576)})`, packedN, r)}  | ${summary}`);
}

// The naive loop over an evenly spread sample of the largest size's hosts (<= 1,000).
const judged = SIZES.includes(1000) ? 1000 : SIZES[SIZES.length - 1]!;
const step = Math.max(1, Math.floor(judged / NAIVE));
const sample = all.slice(0, judged).filter((_, i) => i % step === 0).slice(0, NAIVE);
const loopOut = path.join(ROOT, "batch-naive");
rmSync(loopOut, { recursive: true, force: true });
mkdirSync(loopOut, { recursive: true });
const loop = timed(["sh", "-c", `i=0; for h in "$@"; do i=$((i+1)); "${process.execPath}" "${CLI}" analyze "$h" --format json -o "${loopOut}/$i.json" -q; done; true`, "sh", ...sample.map((h) => h.path)]);
const perHost = loop.seconds / sample.length;
console.log(`  naive loop, ${sample.length} of the ${judged} hosts: ${loop.seconds.toFixed(1)} s (${(perHost * 1000).toFixed(0)} ms a host), ${loop.cpu.toFixed(1)} s CPU, largest analyze peak RSS ${mb(loop.rssMb)}, load ${loop.load}; extrapolated to ${judged}: ${(perHost * judged).toFixed(0)} s`);

const b = results.get(judged)!;
const ratio = b.seconds / (perHost * judged);
const cpuRatio = b.cpu / ((loop.cpu / sample.length) * judged);
console.log(`  batch / naive loop at ${judged} hosts: ${ratio.toFixed(3)} wall, ${cpuRatio.toFixed(3)} CPU (target <= ${TARGET_RATIO})`);
const first = SIZES[0]!;
for (const n of SIZES.slice(1)) {
  const r = results.get(n)!;
  const g = r.seconds / results.get(first)!.seconds;
  const gc = r.cpu / results.get(first)!.cpu;
  console.log(`  growth ${first} -> ${n} hosts: x${g.toFixed(2)} wall, x${gc.toFixed(2)} CPU for x${n / first} hosts (${((results.get(first)!.seconds / first) * 1000).toFixed(0)} -> ${((r.seconds / n) * 1000).toFixed(0)} ms a host), peak RSS ${mb(results.get(first)!.rssMb)} -> ${mb(r.rssMb)}`);
}
const pass = ratio <= TARGET_RATIO && (judged !== 1000 || (b.seconds < TARGET_SECONDS && b.rssMb < TARGET_RSS_MB));
console.log(`verdict: ${pass ? "PASS" : "FAIL"} (targets at 1,000 hosts: <= ${TARGET_RATIO} x the naive loop, < ${TARGET_SECONDS} s, < ${TARGET_RSS_MB} MB peak RSS)`);
