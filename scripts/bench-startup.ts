/**
 * Start-up time of the commands a user or a script runs most often without
 * input (`--version`, `--help`, `formats`), against `node -e 0` (Node's own
 * start-up) measured alternately in the same run: 21 rounds (BENCH_ROUNDS),
 * medians compared. Also `convert --help` (yargs and a command's options) and,
 * for scale, `convert` of one small capture (the parsers loaded).
 *
 * Target: under 0.15 s each on an idle machine. On a shared, loaded one the
 * absolute times mean little, so the verdict is taken from the ratio: at most
 * 3x `node -e 0` (0.15 s is 3x Node's ~0.05 s start-up on an idle machine).
 *
 *   npm run bench                  # all benchmarks, this one first
 *   node dist/scripts/bench-startup.js
 */
import { spawnSync } from "node:child_process";
import { median } from "./_bench.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 21);
const TARGET_RATIO = 3;
const TARGET_SECONDS = 0.15;

const cases: { name: string; args: string[]; judged: boolean }[] = [
  { name: "node -e 0", args: ["-e", "0"], judged: false },
  { name: "natlens --version", args: ["dist/src/cli.js", "--version"], judged: true },
  { name: "natlens --help", args: ["dist/src/cli.js", "--help"], judged: true },
  { name: "natlens formats", args: ["dist/src/cli.js", "formats"], judged: true },
  { name: "natlens convert --help", args: ["dist/src/cli.js", "convert", "--help"], judged: false },
  { name: "natlens convert (one small file)", args: ["dist/src/cli.js", "convert", "samples/lab-proxy/proc/net/tcp"], judged: false },
];

function once(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return s;
}

const times = cases.map(() => [] as number[]);
for (const c of cases) once(c.args); // warm the file cache
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, and in a rotating order, so every case sees the same load.
  for (let k = 0; k < cases.length; k++) {
    const i = (k + round) % cases.length;
    times[i]!.push(once(cases[i]!.args));
  }
}
const base = median(times[0]!);
process.stdout.write(`start-up (${ROUNDS} rounds, medians; node -e 0 = ${(base * 1000).toFixed(0)} ms)\n`);
let ok = true;
cases.forEach((c, i) => {
  const m = median(times[i]!);
  const ratio = m / base;
  const verdict = c.judged ? (ratio <= TARGET_RATIO ? "  ok" : "  OVER") : "";
  if (c.judged && ratio > TARGET_RATIO) ok = false;
  process.stdout.write(`  ${c.name.padEnd(34)} ${(m * 1000).toFixed(0).padStart(5)} ms  x${ratio.toFixed(2)}${verdict}\n`);
});
process.stdout.write(`target: --version, --help and formats at most x${TARGET_RATIO} node -e 0 (${TARGET_SECONDS} s on an idle machine): ${ok ? "met" : "NOT met"}\n`);
