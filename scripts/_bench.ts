/** Shared pieces of the benchmark scripts: timed child runs, a seeded PRNG, generated input files. */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import path from "node:path";

export interface Run {
  seconds: number;
  /** User + system CPU seconds of the command and the children it waited for, from GNU time. */
  cpuSeconds: number;
  /** Peak resident set size, from GNU time. */
  rssMb: number;
  status: number | null;
}

/**
 * Run `cmd` under GNU time (`/usr/bin/time -f %M`, peak RSS); stdout goes to
 * /dev/null, stdin comes from `stdinFile` (or nothing). Wall time is taken here.
 */
export function timed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdinFile?: string } = {}): Run {
  const devnull = openSync("/dev/null", "w");
  const input = opts.stdinFile ? openSync(opts.stdinFile, "r") : "ignore";
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", cmd, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: [input, devnull, "pipe"],
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(devnull);
  if (typeof input === "number") closeSync(input);
  const lines = r.stderr.toString().trim().split("\n");
  const [user, sys, kb] = lines[lines.length - 1]!.split(" ").map(Number) as [number, number, number];
  if (r.status !== 0) process.stderr.write(`  ! ${cmd} ${args.join(" ")}: exit ${r.status}\n${lines.slice(0, 12).join("\n")}\n`);
  return { seconds, cpuSeconds: user + sys, rssMb: kb / 1024, status: r.status };
}

/** Deterministic pseudo-random numbers (xorshift32), so every run benchmarks the same file. */
export function rng(seed: number): () => number {
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

/** Deterministic numbers in [0, 1) (mulberry32): the synthetic host of bench-analyze and the fuzz harness's mutants. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Write the text `chunks` yields to `file`, unless it exists: through a .part
 * file renamed at the end, so an interrupted run never leaves half an input.
 */
export async function writeGenerated(file: string, chunks: Iterable<string>): Promise<void> {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file + ".part");
  let buf = "";
  for (const chunk of chunks) {
    buf += chunk;
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
