/** A generated fleet (scripts/gen-fleet.ts), made once per test process, and helpers to read batch outputs. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateFleet, type GeneratedHost } from "../scripts/gen-fleet.js";
import type { HostRow } from "../src/batch/host-row.js";

let made: { dir: string; hosts: GeneratedHost[] } | null = null;

/** Whether the test fleet mixes in archives: only once natlens reads them (the archives issue). */
export const FLEET_ARCHIVES = true;

/**
 * 14 hosts: every sample (with FLEET_ARCHIVES as directories, .tar.gz, sosreport-style
 * .tar.xz and .zip, one .tar.gz cut short); two named alike (ids -2); one with a bad
 * row (partial), one of binary garbage (failed).
 */
export async function testFleet(): Promise<{ dir: string; hosts: GeneratedHost[] }> {
  if (!made) {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "natlens-fleet-")), "fleet");
    made = { dir, hosts: await generateFleet(dir, 14, { archives: FLEET_ARCHIVES }) };
  }
  return made;
}

export function tmpOut(name: string): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "natlens-batch-")), name);
}

export function hostRows(outDir: string): HostRow[] {
  return readFileSync(path.join(outDir, "hosts.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HostRow);
}

/** A fleet table with the `seconds` column (the one that differs between identical runs) blanked. */
export function withoutSeconds(outDir: string, table: string): string {
  const text = readFileSync(path.join(outDir, table), "utf8");
  if (table === "hosts.ndjson") return text.replace(/"seconds":[0-9.e+-]+/g, '"seconds":0');
  if (table === "hosts.csv") return text.replace(/,[0-9.e+-]+\r\n/g, ",0\r\n");
  return text;
}

/** The result line's counts for the test fleet. */
export const FLEET_COUNTS = FLEET_ARCHIVES ? "11 ok, 2 partial, 1 failed" : "12 ok, 1 partial, 1 failed";
