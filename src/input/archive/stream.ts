/**
 * Small helpers over byte streams (async iterables of Buffers) that the
 * archive readers share: the first bytes of a file or a stream for sniffing,
 * draining, and reading a bounded stream into memory.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { Budget, LimitError } from "./decode.js";
import { MAGIC_BYTES } from "./magic.js";

/** The first bytes of a file, for sniffing. */
export function fileHead(file: string, n = MAGIC_BYTES): Buffer {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Split a stream into its first `n` bytes (as chunks) and an iterable of the whole stream again. */
export async function peek(src: AsyncIterable<Buffer>, n = MAGIC_BYTES): Promise<{ head: Buffer; stream: AsyncIterable<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    first.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(first, size).subarray(0, n);
  async function* again(): AsyncGenerator<Buffer> {
    try {
      yield* first;
      if (ended) return;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      if (!ended) await it.return?.();
    }
  }
  return { head, stream: again() };
}

export async function drain(src: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of src);
}

/** Bytes of a stream, up to `limit` (a zip from stdin or inside another archive is read from memory). */
export async function collect(src: AsyncIterable<Buffer>, limit: number, budget: Budget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of src) {
    total += c.length;
    if (total > limit) throw new LimitError(limit, "archive", budget);
    chunks.push(c);
  }
  return Buffer.concat(chunks, total);
}

/** The first `limit` bytes of a file (a damaged zip is salvaged from memory). */
export async function readFileCapped(file: string, limit: number): Promise<Buffer> {
  const { open } = await import("node:fs/promises");
  const fh = await open(file, "r");
  try {
    const size = Math.min((await fh.stat()).size, limit);
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

export function errorMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/\s+/g, " ").trim() || "unknown error";
}
