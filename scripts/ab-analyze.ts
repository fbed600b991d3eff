/**
 * Two builds of natlens compared on one bundle in one process (issue 16):
 * `analyzeHost` and the JSON writer of each build, run alternately, CPU time
 * of the process per run (GC threads included) and the medians.
 *
 *   node --expose-gc dist/scripts/ab-analyze.js OLD_DIR NEW_DIR [BUNDLE] [ROUNDS]
 *
 * OLD_DIR and NEW_DIR are checkouts with their own `npm run build` (each
 * module graph is imported from its own dist/, so nothing is shared between
 * the two); BUNDLE (default bench-out/analyze-host, made by bench-analyze.js)
 * is read relative to each checkout, so the cited file names are the same.
 * On a shared or noisy machine, separate processes of the same build move by
 * 20 to 40 %; runs alternated in one process see the same minutes and move by
 * a few percent. The JSON text's length is printed for each run: the two
 * builds must agree on it. Speed is measured here, never asserted in tests.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

interface Build {
  dir: string;
  sources: unknown[];
  analyzeHost(sources: unknown[]): Promise<unknown>;
  writeAnalysis(report: unknown, format: string, write: (s: string) => void): void;
}

const [oldDir, newDir, bundle = path.join("bench-out", "analyze-host"), roundsArg = "3"] = process.argv.slice(2);
if (!oldDir || !newDir) {
  console.error("usage: node --expose-gc dist/scripts/ab-analyze.js OLD_DIR NEW_DIR [BUNDLE] [ROUNDS]");
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.log("(run with --expose-gc: a full collection between runs keeps one run's garbage out of the next)");

async function load(dir: string): Promise<Build> {
  const abs = path.resolve(dir);
  const mod = (p: string) => import(pathToFileURL(path.join(abs, "dist", "src", p)).href);
  const read = await mod("input/read.js");
  const api = await mod("api.js");
  const out = await mod("output/analyze.js");
  // the bundle's names as that checkout sees them (evidence cites them)
  process.chdir(abs);
  const { sources } = await read.expandInputs([bundle], undefined);
  return { dir, sources, analyzeHost: api.analyzeHost, writeAnalysis: out.writeAnalysis };
}

const builds = [await load(oldDir), await load(newDir)];
const cpu: number[][] = [[], []];
const rounds = Number(roundsArg);
for (let r = 0; r < rounds; r++) {
  for (let b = 0; b < 2; b++) {
    const build = builds[b]!;
    const t = process.cpuUsage();
    const report = await build.analyzeHost(build.sources);
    let chars = 0;
    build.writeAnalysis(report, "json", (s) => (chars += s.length));
    const u = process.cpuUsage(t);
    const s = (u.user + u.system) / 1e6;
    cpu[b]!.push(s);
    console.log(`${build.dir}: ${s.toFixed(2)} s CPU, ${chars} characters of JSON`);
    gc?.();
  }
}
const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
const [a, b] = [median(cpu[0]!), median(cpu[1]!)];
console.log(`analyzeHost + JSON writer, CPU seconds, median of ${rounds} alternated: ${oldDir} ${a.toFixed(2)}, ${newDir} ${b.toFixed(2)} (${(((b - a) / a) * 100).toFixed(1)} %)`);
