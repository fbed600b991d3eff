/**
 * The /proc/net/tcp CSV fast path must be indistinguishable from the generic
 * path: same CSV bytes, same accounting, same diagnostics, for every fixture
 * and for generated tables (several read chunks long) with odd rows mixed in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { procNetTcpToCsv } from "../src/fast/proc-net-tcp-csv.js";
import { CHUNK } from "../src/input/byte-lines.js";
import { parseSource } from "../src/parse.js";
import { fileSource } from "../src/input/read.js";
import { COLUMNS } from "../src/output/columns.js";
import { CsvRowWriter } from "../src/output/csv.js";
import type { Diagnostic, InputSummary, SocketRecord } from "../src/types.js";
import type { ParseOptions } from "../src/format.js";

async function generic(file: string, options: Partial<ParseOptions> = {}) {
  const rows = new CsvRowWriter(COLUMNS.socket);
  let csv = "";
  const diagnostics: Diagnostic[] = [];
  const summary = await parseSource(fileSource(file), {
    type: "proc-net-tcp",
    options,
    onRecord: (r) => (csv += rows.row(r as SocketRecord)),
    onDiagnostic: (d) => diagnostics.push(d),
  });
  return { csv, diagnostics, summary };
}

function fast(file: string, options: Partial<ParseOptions> = {}) {
  const chunks: Buffer[] = [];
  const diagnostics: Diagnostic[] = [];
  const summary: InputSummary = { file, format: "proc-net-tcp", detectedBy: "type-option", score: 1, lines: 0, records: 0, ignored: 0, skipped: 0, ignoredBy: {}, skippedBy: {} };
  procNetTcpToCsv(file, summary, { write: (s) => chunks.push(Buffer.from(s)), writeBytes: (b) => chunks.push(Buffer.from(b)) }, { options, onDiagnostic: (d) => diagnostics.push(d) });
  return { csv: Buffer.concat(chunks).toString("utf8"), diagnostics, summary };
}

async function assertSame(file: string, options: Partial<ParseOptions> = {}) {
  const g = await generic(file, options);
  const f = fast(file, options);
  assert.equal(f.csv, g.csv, `${file}: CSV differs`);
  assert.deepEqual(f.summary, g.summary, `${file}: accounting differs`);
  assert.deepEqual(f.diagnostics, g.diagnostics, `${file}: diagnostics differ`);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test("fast path equals the generic path on every proc-net-tcp fixture", async () => {
  for (const file of files("test/fixtures/proc-net-tcp")) if (!file.endsWith(".md")) await assertSame(file);
});

const HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, "0");

/** A generated table past the byte-order sample and across chunk borders, with odd rows mixed in. */
function table(seed: number, rows: number, udp: boolean): string {
  let x = seed || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const lines = [udp ? `${HEADER} ref pointer drops` : HEADER];
  for (let i = 0; i < rows; i++) {
    const kind = rnd() % 1000;
    const st = [1, 1, 6, 10, 8, 2, 7][rnd() % 7]!;
    const row = `${String(i).padStart(4)}: ${hex(rnd(), 8)}:${hex(rnd() % 65536, 4)} ${st === 10 ? "00000000:0000" : `${hex(rnd(), 8)}:${hex(rnd() % 65536, 4)}`} ${hex(st, 2)} ${hex(rnd() % 5000, 8)}:${hex(rnd() % 5000, 8)} 00:00000000 00000000 ${String(rnd() % 70000).padStart(5)}        0 ${rnd() % 3 === 0 ? 0 : rnd()} 1 0000000000000000 20 4 30 10 -1`;
    if (kind === 0) lines.push("   x: not a row at all");
    else if (kind === 1) lines.push(row.replace(/ 0[0-9A-F] 0/, " 3F 0")); // unknown state
    else if (kind === 2) lines.push(row + "\r"); // CRLF
    else if (kind === 3) lines.push("");
    else if (kind === 4) lines.push(row.replace(/ {2}\d+ {8}0 /, "   -1        0 ")); // negative uid
    else if (kind === 5) lines.push(`${String(i).padStart(4)}:   ${row.slice(6)}`); // irregular spacing
    else lines.push(udp ? row.padEnd(127) : row.padEnd(149));
  }
  return lines.join("\n") + (seed % 2 ? "\n" : "");
}

test("fast path equals the generic path on a generated table that once differed (seed 31, tcp)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-fast-"));
  const file = path.join(dir, "t31");
  writeFileSync(file, table(31, Math.ceil((CHUNK * 2.5) / 150), false));
  await assertSame(file);
});

test("fast path equals the generic path on generated tables (tcp and udp)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-fast-"));
  // Rows of ~150 bytes: enough rows for two or three chunks, past the 10,000-row byte-order sample.
  const rows = Math.ceil((CHUNK * 2.5) / 150);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), async (seed, udp) => {
      const file = path.join(dir, `t${seed}`);
      writeFileSync(file, table(seed, rows, udp));
      await assertSame(file);
    }),
    { numRuns: 3 },
  );
});

test("fast path equals the generic path when the file name is as long as Linux allows (the file cell passes the output margin)", async () => {
  // 15 directories of 250 characters, quotes: a path of about 3,800 bytes, a CSV cell of twice that in every row
  let dir = mkdtempSync(path.join(tmpdir(), "natlens-fast-"));
  for (let i = 0; i < 15; i++) dir = path.join(dir, String(i).padEnd(250, '"'));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "tcp");
  // enough rows for the output to cross a 2 MB buffer a few times
  writeFileSync(file, table(7, 2_000, false));
  await assertSame(file);
});

test("fast path equals the generic path with --byte-order big (dotted quads written the other way round)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "natlens-fast-"));
  const file = path.join(dir, "t-big");
  writeFileSync(file, table(11, 3_000, false));
  await assertSame(file, { byteOrder: "big" });
});
