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
 *
 * The fleet (a quarter each directories, .tar.gz, .tar.xz and .zip) is
 * generated once into bench-out/batch-fleet/ (git-ignored) with
 * as many hosts as the largest size; a smaller size takes its first hosts,
 * named on the command line. Prints per size: wall time, hosts/s, peak RSS
 * (GNU time's %M: the batch process with all its worker threads; for the
 * loop, the largest of its analyze processes, which run one after another),
 * then the ratio against the loop and the growth from the smallest size.
 * Targets (1,000 hosts, on this 2-core machine): <= 0.1 x the loop's time,
 * < 60 s, < 1 GB. Speed is measured here, never asserted in tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const TARGET_RATIO = 0.1;
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 1024;

interface Timed {
  seconds: number;
  rssMb: number;
  status: number | null;
  stderr: string;
}

function timed(args: string[]): Timed {
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...args], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const lines = r.stderr.toString().trim().split("\n");
  return { seconds, rssMb: Number(lines[lines.length - 1]) / 1024, status: r.status, stderr: lines.slice(0, -1).join("\n") };
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
const all = await fleet(SIZES[SIZES.length - 1]!);
console.log(`natlens batch benchmark: ${SIZES.join(", ")} hosts (${ARCHIVES ? "a quarter each directories, .tar.gz, .tar.xz, .zip" : "directories"}), ${availableParallelism()} CPUs (--jobs default), cli ${CLI}`);

const results = new Map<number, Timed>();
for (const n of SIZES) {
  const out = path.join(ROOT, `batch-out-${n}`);
  rmSync(out, { recursive: true, force: true });
  const r = timed([process.execPath, CLI, "batch", ...all.slice(0, n).map((h) => h.path), "--out", out, "-q"]);
  results.set(n, r);
  const summary = r.stderr.split("\n").find((l) => l.startsWith("natlens batch:")) ?? r.stderr.slice(0, 400);
  console.log(`  batch ${n} hosts: ${r.seconds.toFixed(1)} s wall, ${(n / r.seconds).toFixed(1)} hosts/s, peak RSS ${mb(r.rssMb)}, exit ${r.status}  | ${summary}`);
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
console.log(`  naive loop, ${sample.length} of the ${judged} hosts: ${loop.seconds.toFixed(1)} s (${(perHost * 1000).toFixed(0)} ms a host), largest analyze peak RSS ${mb(loop.rssMb)}; extrapolated to ${judged}: ${(perHost * judged).toFixed(0)} s`);

const b = results.get(judged)!;
const ratio = b.seconds / (perHost * judged);
console.log(`  batch / naive loop at ${judged} hosts: ${ratio.toFixed(3)} (target <= ${TARGET_RATIO})`);
const first = SIZES[0]!;
for (const n of SIZES.slice(1)) {
  const r = results.get(n)!;
  const g = r.seconds / results.get(first)!.seconds;
  console.log(`  growth ${first} -> ${n} hosts: x${g.toFixed(2)} time for x${n / first} hosts (${((results.get(first)!.seconds / first) * 1000).toFixed(0)} -> ${((r.seconds / n) * 1000).toFixed(0)} ms a host), peak RSS ${mb(results.get(first)!.rssMb)} -> ${mb(r.rssMb)}`);
}
const pass = ratio <= TARGET_RATIO && (judged !== 1000 || (b.seconds < TARGET_SECONDS && b.rssMb < TARGET_RSS_MB));
console.log(`verdict: ${pass ? "PASS" : "FAIL"} (targets at 1,000 hosts: <= ${TARGET_RATIO} x the naive loop, < ${TARGET_SECONDS} s, < ${TARGET_RSS_MB} MB peak RSS)`);
