/**
 * A fuzz worker: runs one job at a time (a parse of one mutant, or an analysis
 * of a sample with one file replaced by a mutant) and answers with how long it
 * took, or the exception. The driver kills this thread when a job hangs.
 */
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { parseSource } from "../../src/parse.js";
import { textSource, type ByteSource } from "../../src/input/read.js";
import { analyzeSources } from "./analyze-adapter.js";

export type Job =
  | { kind: "parse"; name: string; bytes: Uint8Array; type?: string }
  | { kind: "analyze"; files: string[]; replace: string; bytes: Uint8Array };

/** `ms`: wall time; `cpuMs`: the process's CPU time over the job (all its threads: with one job running, that job's, GC included). */
export type Answer = { ok: true; ms: number; cpuMs?: number; records: number } | { ok: false; ms: number; cpuMs?: number; error: string };

const cache = new Map<string, Buffer>();
const read = (f: string) => cache.get(f) ?? cache.set(f, readFileSync(f)).get(f)!;

async function runJob(job: Job): Promise<number> {
  if (job.kind === "parse") {
    let records = 0;
    await parseSource(textSource(job.name, Buffer.from(job.bytes)), {
      ...(job.type ? { type: job.type } : {}),
      onRecord: () => records++,
      onDiagnostic: () => {},
    });
    return records;
  }
  const sources: ByteSource[] = job.files.map((f) => textSource(f, f === job.replace ? Buffer.from(job.bytes) : read(f)));
  return analyzeSources(sources);
}

parentPort!.postMessage("ready");
parentPort!.on("message", (job: Job) => {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const cpuMs = () => {
    const d = process.cpuUsage(cpu);
    return (d.user + d.system) / 1000;
  };
  runJob(job).then(
    (records) => parentPort!.postMessage({ ok: true, ms: performance.now() - start, cpuMs: cpuMs(), records } satisfies Answer),
    (err: unknown) => parentPort!.postMessage({ ok: false, ms: performance.now() - start, cpuMs: cpuMs(), error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Answer),
  );
});
