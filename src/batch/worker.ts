/**
 * Worker thread of the batch pool: loads the analyzer once, then runs the
 * hosts it is sent one at a time (host-job.ts). Each host gets a fresh bundle
 * and report; nothing of one host is kept for the next.
 */
import { parentPort } from "node:worker_threads";
import { runHostJob, type HostJob } from "./host-job.js";

export type WorkerRequest = { type: "job"; seq: number; job: HostJob };
export type WorkerReply = { type: "done"; seq: number; outcome: Awaited<ReturnType<typeof runHostJob>> };

const port = parentPort;
if (port) {
  port.on("message", (msg: WorkerRequest) => {
    void runHostJob(msg.job).then((outcome) => port.postMessage({ type: "done", seq: msg.seq, outcome } satisfies WorkerReply));
  });
}
