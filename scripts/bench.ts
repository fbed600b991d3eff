/**
 * Benchmarks, as ratios against a peer run on the same input in the same run.
 *
 *   npm run bench                 # all
 *   npm run bench -- proc-net-tcp # one
 *
 * proc-net-tcp: a generated 1,000,000-row /proc/net/tcp (~156 MB) converted to
 * CSV by natlens, against `PROC_NET_TCP=<file> ss -tan` reading the same file
 * (both write to /dev/null), measured alternately, 7 rounds (BENCH_ROUNDS), medians compared. Target: ratio <= 0.33 and
 * natlens peak RSS < 200 MB.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`); wall time from the
 * parent. Generated inputs live in bench-out/ (git-ignored) and are reused.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { median, rng, timed, writeGenerated, type Run } from "./_bench.js";

const OUT = "bench-out";
const NATLENS = ["dist/src/cli.js"];

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, "0");

/** A header and `count` generated rows (each ending in its newline) as `file`, unless it exists. */
function writeLines(file: string, count: number, header: string, row: (i: number, r: () => number) => string): Promise<void> {
  const r = rng(count);
  return writeGenerated(
    file,
    (function* () {
      yield header;
      for (let i = 0; i < count; i++) yield row(i, r);
    })(),
  );
}

const PROC_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

async function procNetTcp(): Promise<void> {
  const rows = 1_000_000;
  const file = path.join(OUT, "proc_net_tcp_1M");
  const states = [1, 1, 1, 1, 6, 6, 10, 8, 2, 5];
  await writeLines(file, rows, PROC_HEADER.padEnd(149) + "\n", (i, r) => {
    const st = states[r() % states.length]!;
    const tw = st === 6;
    const local = hex(r(), 8);
    const remote = st === 10 ? "00000000" : hex(r(), 8);
    const lport = hex(r() % 65536, 4);
    const rport = st === 10 ? "0000" : hex(r() % 65536, 4);
    const sl = String(i).padStart(4) + ":";
    const tail = tw
      ? `${hex(st, 2)} 00000000:00000000 03:00001338 00000000     0        0 0 3 ${hex(r(), 8)}${hex(r(), 8)}`
      : `${hex(st, 2)} ${hex(r() % 4096, 8)}:${hex(r() % 4096, 8)} 00:00000000 00000000 ${String(r() % 2000).padStart(5)}        0 ${r() % 10_000_000} 1 ${hex(r(), 8)}${hex(r(), 8)} 20 4 30 10 -1`;
    return `${sl} ${local}:${lport} ${remote}:${rport} ${tail}`.padEnd(149) + "\n";
  });
  const mb = statSync(file).size / 1e6;
  console.log(`proc-net-tcp: ${rows.toLocaleString("en")} rows, ${mb.toFixed(0)} MB (${file})`);
  // Wall times on this kind of shared machine move by 20-30% from run to run, for ss as for
  // natlens: seven alternating rounds (BENCH_ROUNDS) keep one slow round from moving the medians.
  const rounds = Math.max(1, Number(process.env["BENCH_ROUNDS"] ?? 7));
  const ss: Run[] = [];
  const nl: Run[] = [];
  for (let k = 0; k < rounds; k++) {
    ss.push(timed("ss", ["-tan"], { env: { PROC_NET_TCP: file } }));
    nl.push(timed(process.execPath, [...NATLENS, "convert", "--to", "csv", "--type", "proc-net-tcp", file]));
  }
  report("convert --to csv", nl, "ss -tan (PROC_NET_TCP)", ss, 0.33, 200);
}

function report(name: string, ours: Run[], peerName: string, peer: Run[], maxRatio: number | null, maxRssMb: number | null): void {
  const t = median(ours.map((r) => r.seconds));
  const p = median(peer.map((r) => r.seconds));
  const rss = Math.max(...ours.map((r) => r.rssMb));
  const ratio = t / p;
  console.log(`  natlens ${name}: ${ours.map((r) => r.seconds.toFixed(2)).join(" / ")} s (median ${t.toFixed(2)} s), peak RSS ${rss.toFixed(0)} MB`);
  console.log(`  ${peerName}: ${peer.map((r) => r.seconds.toFixed(2)).join(" / ")} s (median ${p.toFixed(2)} s), peak RSS ${Math.max(...peer.map((r) => r.rssMb)).toFixed(0)} MB`);
  const verdicts: string[] = [];
  if (maxRatio !== null) verdicts.push(ratio <= maxRatio ? `ratio ${ratio.toFixed(3)} <= ${maxRatio}: ok` : `ratio ${ratio.toFixed(3)} > ${maxRatio}: TOO SLOW`);
  if (maxRssMb !== null) verdicts.push(rss < maxRssMb ? `RSS ${rss.toFixed(0)} MB < ${maxRssMb} MB: ok` : `RSS ${rss.toFixed(0)} MB >= ${maxRssMb} MB: TOO BIG`);
  console.log(`  => ${verdicts.join("; ")}`);
}

const BENCHES: Record<string, () => Promise<void>> = { "proc-net-tcp": procNetTcp };

const only = process.argv.slice(2);
for (const [name, fn] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
