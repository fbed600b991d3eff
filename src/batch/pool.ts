/**
 * The batch pool: `jobs` worker threads, each analysing one host at a time,
 * fed from a queue in discovery order. A worker that dies (out of memory, a
 * crash) fails only the host it held and is replaced.
 */
import { Worker } from "node:worker_threads";
import type { HostJob, HostOutcome } from "./host-job.js";
import { failedHostRow } from "./host-row.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

export interface PoolOptions {
  jobs: number;
  /** Heap limit of each worker thread (old generation), MB: a host that needs more fails alone. */
  heapMb: number;
  /**
   * Called for each job, in order, just before it is sent to a worker (a host
   * of a fleet archive is read here, when a worker is free for it).
   */
  prepare?: (job: HostJob) => Promise<HostJob>;
}

export interface Pool {
  /** Resolves when every job is done or stop() was called. */
  done: Promise<void>;
  /** Send no more jobs and end the workers now (hosts in progress are not reported). */
  stop(): Promise<void>;
}

export function runPool(jobs: readonly HostJob[], opts: PoolOptions, onDone: (job: HostJob, outcome: HostOutcome) => void): Pool {
  let next = 0;
  let finished = 0;
  let stopped = false;
  const workers = new Set<Worker>();
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const settle = () => {
    if (finished === jobs.length || stopped) {
      if (workers.size === 0 || finished === jobs.length) resolve();
    }
  };

  const spawn = () => {
    const worker = new Worker(new URL("./worker.js", import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: opts.heapMb } });
    workers.add(worker);
    let current: { seq: number; job: HostJob; started: bigint } | null = null;
    let lastError: Error | null = null;
    const feed = () => {
      if (stopped || next >= jobs.length) {
        current = null;
        workers.delete(worker);
        void worker.terminate();
        settle();
        return;
      }
      const seq = next++;
      const job = jobs[seq]!;
      const started = process.hrtime.bigint();
      current = { seq, job, started };
      if (!opts.prepare) {
        worker.postMessage({ type: "job", seq, job } satisfies WorkerRequest);
        return;
      }
      opts.prepare(job).then(
        (ready) => {
          if (!stopped && current?.seq === seq) worker.postMessage({ type: "job", seq, job: ready } satisfies WorkerRequest);
        },
        (err: unknown) => {
          if (stopped || current?.seq !== seq) return;
          current = null;
          finished++;
          const row = failedHostRow({ host_id: job.host.id, input: job.host.input, seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1e3 }, `cannot be read: ${err instanceof Error ? err.message : String(err)}`);
          onDone(job, { row, kept: false });
          feed();
        },
      );
    };
    worker.on("message", (msg: WorkerReply) => {
      if (!current || msg.seq !== current.seq) return;
      const job = current.job;
      finished++;
      current = null;
      onDone(job, msg.outcome);
      feed();
    });
    worker.on("error", (err) => (lastError = err));
    worker.on("exit", (code) => {
      workers.delete(worker);
      if (current && !stopped) {
        const { job, started } = current;
        current = null;
        finished++;
        const why =
          (lastError as { code?: string } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? `out of memory (a worker's heap is limited to ${opts.heapMb} MB)`
            : `the worker analysing it stopped: ${lastError?.message ?? `exit code ${code}`}`;
        const row = failedHostRow({ host_id: job.host.id, input: job.host.input, seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1e3 }, why);
        onDone(job, { row, kept: false });
        if (next < jobs.length && !stopped) spawn();
      }
      settle();
    });
    feed();
  };

  const n = Math.max(1, Math.min(opts.jobs, jobs.length));
  if (jobs.length === 0) resolve();
  else for (let i = 0; i < n; i++) spawn();
  return {
    done,
    async stop() {
      stopped = true;
      await Promise.all([...workers].map((w) => w.terminate()));
      workers.clear();
      resolve();
    },
  };
}
