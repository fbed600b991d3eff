/**
 * Benchmark of reading a support bundle in place (issue 12): a sosreport-shaped
 * tree (samples/lab-proxy-sos under `sosreport-<host>/sos_commands/...`, plus
 * generated logs and other plugins' output up to BENCH_ARCHIVE_MB) packed as
 * .tar.xz, .tar.gz and .zip, then, on the same files in the same run:
 *
 *   peer 1  `tar -xf ARCHIVE -C DIR` (`unzip -q ARCHIVE -d DIR` for the zip)   unpacking alone (what a user does first),
 *           DIR on a tmpfs (/dev/shm, or BENCH_TMPFS)
 *   peer 2  `natlens analyze DIR --to json`         the analysis of the unpacked tree
 *   natlens `natlens analyze ARCHIVE --to json`     the archive read in place
 *
 * and prints wall time, CPU time (user + system), peak RSS (GNU time) and the ratio of the in-place run to
 * unpacking (peer 1) and to unpack-then-analyse (peer 1 + peer 2). The in-place
 * run decompresses the whole stream (a tar has no index) but keeps only the
 * members natlens reads, so its memory must not grow with the archive.
 *
 *   node dist/scripts/bench-archive.js                 # 200 MB tree
 *   BENCH_ARCHIVE_MB=1000 node dist/scripts/bench-archive.js
 *
 * Generated once into bench-out/archive-<MB>/ (git-ignored). Speed is measured
 * here, never asserted in tests.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { mulberry32, timed, writeGenerated, type Run } from "./_bench.js";

const CLI = path.resolve(process.env["NATLENS_CLI"] ?? "dist/src/cli.js");
const MB = Math.max(10, Number(process.env["BENCH_ARCHIVE_MB"] ?? 200));
const ROOT = path.resolve("bench-out", `archive-${MB}`);
const TOP = "sosreport-natlens-lab-2026-12-07-bench";
const SAMPLE = path.resolve("samples", "lab-proxy-sos");

/** Lines of a syslog-like file: varied enough that xz does not squeeze it to nothing. */
function* logLines(seed: number, bytes: number): Iterable<string> {
  const r = mulberry32(seed);
  const units = ["containerd", "dockerd", "kernel", "systemd", "sshd", "cron", "kubelet"];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const line = `Dec  7 ${String(Math.floor(r() * 24)).padStart(2, "0")}:${String(Math.floor(r() * 60)).padStart(2, "0")}:${String(Math.floor(r() * 60)).padStart(2, "0")} natlens-lab ${units[Math.floor(r() * units.length)]}[${Math.floor(r() * 65536)}]: event ${i} id=${Math.floor(r() * 2 ** 32).toString(16)} took ${(r() * 1000).toFixed(3)}ms\n`;
    n += line.length;
    yield line;
  }
}

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += du(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

/** The tree and its two archives, made once per size. */
async function prepare(): Promise<{ tree: string; archives: { name: string; file: string }[] }> {
  const tree = path.join(ROOT, "tree");
  const top = path.join(tree, TOP);
  if (!existsSync(path.join(ROOT, "READY"))) {
    rmSync(ROOT, { recursive: true, force: true });
    mkdirSync(top, { recursive: true });
    cpSync(SAMPLE, top, { recursive: true, verbatimSymlinks: true, filter: (src) => !/(EXPECTED\.json|README\.md)$/.test(src) });
    // the bulk of a real sosreport: logs and other plugins' output, none of it read by natlens
    const files = 40;
    for (let i = 0; i < files; i++) {
      const name = i % 4 === 0 ? `var/log/journal-${i}.log` : i % 4 === 1 ? `sos_commands/logs/journalctl_--no-pager_${i}` : i % 4 === 2 ? `var/log/syslog.${i}` : `sos_commands/kernel/dmesg_${i}`;
      await writeGenerated(path.join(top, name), logLines(i + 1, Math.floor((MB * 1e6) / files)));
    }
    const tar = (args: string[]) => {
      const r = spawnSync("tar", args, { cwd: tree, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, XZ_OPT: "-1 -T2" } });
      if (r.status !== 0) throw new Error(`tar ${args.join(" ")} failed`);
    };
    tar(["-cJf", path.join(ROOT, `${TOP}.tar.xz`), TOP]);
    tar(["-czf", path.join(ROOT, `${TOP}.tar.gz`), TOP]);
    const z = spawnSync("zip", ["-qr", path.join(ROOT, `${TOP}.zip`), TOP], { cwd: tree, stdio: ["ignore", "ignore", "inherit"] });
    if (z.status !== 0) throw new Error("zip failed (is Info-ZIP's zip installed?)");
    spawnSync("touch", [path.join(ROOT, "READY")]);
  }
  return {
    tree: top,
    archives: [
      { name: "tar.xz", file: path.join(ROOT, `${TOP}.tar.xz`) },
      { name: "tar.gz", file: path.join(ROOT, `${TOP}.tar.gz`) },
      { name: "zip", file: path.join(ROOT, `${TOP}.zip`) },
    ],
  };
}

function fmt(r: Run): string {
  return `${r.seconds.toFixed(2).padStart(7)} s (CPU ${r.cpuSeconds.toFixed(2).padStart(6)} s) ${r.rssMb.toFixed(0).padStart(5)} MB`;
}

/** Unpacking goes to a tmpfs, so the peer pays no disk writes natlens does not pay either. */
const TMPFS = process.env["BENCH_TMPFS"] ?? (existsSync("/dev/shm") ? "/dev/shm" : ROOT);

async function main(): Promise<void> {
  const { tree, archives } = await prepare();
  process.stdout.write(`\narchive benchmark: sosreport tree of ${(du(tree) / 1e6).toFixed(0)} MB (${MB} MB of logs + samples/lab-proxy-sos)\n`);
  const analyzeDir = timed(process.execPath, [CLI, "analyze", tree, "--to", "json"]);
  process.stdout.write(`  analyze DIR (unpacked)           ${fmt(analyzeDir)}\n`);
  for (const a of archives) {
    const out = path.join(TMPFS, `natlens-bench-x-${process.pid}-${a.name}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    const unpack = a.name === "zip" ? timed("unzip", ["-q", a.file, "-d", out]) : timed("tar", ["-xf", a.file, "-C", out], { env: { XZ_OPT: "-T1" } });
    rmSync(out, { recursive: true, force: true });
    const inPlace = timed(process.execPath, [CLI, "analyze", a.file, "--to", "json"]);
    const size = statSync(a.file).size / 1e6;
    process.stdout.write(
      `  ${a.name.padEnd(7)} ${size.toFixed(0).padStart(5)} MB  ${a.name === "zip" ? "unzip  " : "tar -xf"} ${fmt(unpack)}   analyze ARCHIVE ${fmt(inPlace)}` +
        `   ${(inPlace.seconds / unpack.seconds).toFixed(2)}x unpacking, ${(inPlace.seconds / (unpack.seconds + analyzeDir.seconds)).toFixed(2)}x unpack+analyze` +
        ` (CPU ${(inPlace.cpuSeconds / unpack.cpuSeconds).toFixed(2)}x, ${(inPlace.cpuSeconds / (unpack.cpuSeconds + analyzeDir.cpuSeconds)).toFixed(2)}x)\n`,
    );
  }
}

await main();
