/**
 * The second thread of the /proc/net/tcp CSV fast path: converts the odd
 * chunks of the file (it only counts the lines of the even ones) and sends each
 * chunk's CSV bytes, accounting and diagnostics to the main thread, staying at
 * most AHEAD chunks ahead of what the main thread has written.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ParseOptions } from "../format.js";
import type { Diagnostic } from "../types.js";
import { AHEAD, ChunkWalker, emptyTally, Transcoder, type ChunkMessage } from "./proc-net-tcp-csv.js";

const { file, options, proto, consumed } = workerData as {
  file: string;
  options: Partial<ParseOptions>;
  proto: "tcp" | "udp";
  consumed: Int32Array;
};

const tally = emptyTally();
let diagnostics: Diagnostic[] = [];
let bytes: Uint8Array[] = [];
const t = new Transcoder(file, tally, options, (d) => diagnostics.push(d), (b) => bytes.push(Uint8Array.from(b)));
t.parser.resume(proto);
const walker = new ChunkWalker(file, (b, s, e, no) => t.line(b, s, e, no));
for (let k = 0; ; k++) {
  const own = k % 2 === 1;
  if (own) {
    for (let seen = Atomics.load(consumed, 0); k > seen + AHEAD; seen = Atomics.load(consumed, 0)) Atomics.wait(consumed, 0, seen, 100);
  }
  if (!walker.step(own)) break;
  if (!own) continue;
  t.flush();
  const message: ChunkMessage = { k, bytes, tally: { ...tally }, diagnostics, hadCr: t.hadCr };
  parentPort!.postMessage(message, bytes.map((x) => x.buffer as ArrayBuffer));
  // The Transcoder keeps counting into the same tally object: start it over.
  tally.records = 0;
  tally.ignored = 0;
  tally.skipped = 0;
  tally.ignoredBy = {};
  tally.skippedBy = {};
  diagnostics = [];
  bytes = [];
}
walker.close();
