/**
 * Files of a batch output directory, and how they are written: every file
 * under a temporary name, renamed into place when complete, so a run killed
 * at any moment leaves either the old file, the new one, or a `*.natlens-tmp`
 * leftover that no reader takes for output.
 *
 * DIR/
 *   hosts/<host-id>/analysis.json   `analyze --format json` of the host (and .txt/.csv when asked)
 *   hosts/<host-id>/fleet-flows.csv     the host's rows of DIR/flows.csv (no header)
 *   hosts/<host-id>/fleet-flows.ndjson  the host's lines of DIR/flows.ndjson
 *   hosts/<host-id>/host.json       written last: the host's row, its input's fingerprint; marks it complete
 *   flows.csv, flows.ndjson, hosts.csv, hosts.ndjson, summary.txt
 *   batch.json                      written last: the run is complete (`merge` reads only complete runs)
 */
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { openOutput } from "../output/sink.js";
import type { Io } from "../io.js";

export const HOSTS_DIR = "hosts";
export const HOST_RECORD = "host.json";
export const FRAGMENT_CSV = "fleet-flows.csv";
export const FRAGMENT_NDJSON = "fleet-flows.ndjson";
export const RUN_RECORD = "batch.json";
export const TABLE_FILES = ["flows.csv", "flows.ndjson", "hosts.csv", "hosts.ndjson", "summary.txt"] as const;

export function hostDir(outDir: string, hostId: string): string {
  return path.join(outDir, HOSTS_DIR, hostId);
}

const NO_STDOUT: Io = {
  stdout: { write: () => undefined },
  stderr: { write: () => undefined },
  stdin: (async function* () {})(),
  env: {},
  stdoutIsTTY: false,
  stderrIsTTY: false,
};

export interface AtomicFile {
  write(text: string): void;
  writeBytes(bytes: Uint8Array): void;
  /** Close and rename into place. */
  commit(): void;
  /** Close and remove the temporary file. */
  abort(): void;
}

/** A file written under a temporary name and renamed into place by commit(). */
export function atomicFile(file: string): AtomicFile {
  const out = openOutput(NO_STDOUT, file, false);
  return {
    write: (t) => out.sink.write(t),
    writeBytes: (b) => out.sink.writeBytes(b),
    commit: () => out.close(),
    abort: () => out.discard(),
  };
}

/** Writes a whole file atomically. */
export function writeFileAtomic(file: string, text: string): void {
  const f = atomicFile(file);
  try {
    f.write(text);
    f.commit();
  } catch (err) {
    f.abort();
    throw err;
  }
}

/** Removes what an interrupted run left under temporary names in `dir` (not below). */
export function removeLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.endsWith(".natlens-tmp")) rmSync(path.join(dir, n), { force: true });
}
