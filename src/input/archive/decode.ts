/**
 * Decompression of one stream, chunk by chunk, with a budget: gzip through
 * Node's zlib, xz through the system's `xz -dc` when there is one (as
 * ripgrep's --search-zip does) and else xz-decompress (xz-embedded compiled
 * to WebAssembly, shipped inside the package: about ten times slower,
 * measured by scripts/bench-archive.ts; small streams, a host bundle's, are
 * decoded with it anyway: see XZ_IN_PROCESS_BYTES), bzip2 through unbzip2-stream, zstd
 * through fzstd (pure JS; Node 20's zlib has no zstd). Nothing is written to
 * disk.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { PassThrough, Readable, type Duplex } from "node:stream";
import { createGunzip } from "node:zlib";
import type { CompressionKind } from "./magic.js";
import type { XzReadableStream as XzStream } from "xz-decompress";

/** Thrown when a stream inflates past its budget (a decompression bomb, or a limit set too low). */
export class LimitError extends Error {
  constructor(
    readonly limit: number,
    readonly what: "archive" | "member",
    /** The budget that ran out (an enclosing archive's error passes through a nested one). */
    readonly budget: Budget | null = null,
  ) {
    super(`more than ${formatBytes(limit)} uncompressed`);
  }
}

export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1 && Number.isInteger(v / 1024)) {
    v /= 1024;
    i++;
  }
  if (i === 0 && n >= 1024) return `${n.toLocaleString("en-US")} bytes`;
  return `${v.toLocaleString("en-US")} ${units[i]}`;
}

/** Bytes decompressed so far from one archive, against its limit. */
export class Budget {
  used = 0;
  constructor(readonly limit: number) {}
}

async function* counted(src: AsyncIterable<Uint8Array>, budget: Budget): AsyncGenerator<Buffer> {
  for await (const c of src) {
    budget.used += c.byteLength;
    if (budget.used > budget.limit) throw new LimitError(budget.limit, "archive", budget);
    yield Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  }
}

/** Compressed bytes handed to zlib at a time: bounds what one step inflates to (16 MB at gzip's best ratio). */
const GUNZIP_STEP = 16 * 1024;

/**
 * gunzip, one piece of input at a time, every byte it inflates handed on
 * before its error: a gzip cut short yields the same bytes however its
 * input arrives (whole from a file, or in pieces from an enclosing archive;
 * piping into zlib and iterating it dropped what zlib held when the error
 * came, and how much that was depended on the pieces).
 */
async function* gunzip(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const z = createGunzip();
  const out: Buffer[] = [];
  let error: Error | null = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  z.on("data", (c: Buffer) => {
    out.push(c);
    signal();
  });
  z.on("error", (err) => {
    error = err;
    signal();
  });
  z.on("end", () => {
    ended = true;
    signal();
  });
  const settle = () => new Promise<void>((r) => (wake = r));
  try {
    for await (const chunk of src) {
      for (let i = 0; i < chunk.length && !error && !ended; i += GUNZIP_STEP) {
        let written = false;
        z.write(chunk.subarray(i, i + GUNZIP_STEP), () => {
          written = true;
          signal();
        });
        while (!written && !error) {
          if (out.length) yield out.shift()!;
          else await settle();
        }
        while (out.length) yield out.shift()!;
      }
      if (error || ended) break;
    }
    if (!error && !ended) z.end();
    while (!error && !ended) {
      if (out.length) yield out.shift()!;
      else await settle();
    }
    while (out.length) yield out.shift()!;
    if (error) throw error;
  } finally {
    z.destroy();
  }
}

/** The same for an old-style (`through`) stream, which is not async-iterable itself. */
function throughLegacy(src: AsyncIterable<Buffer>, t: Duplex): AsyncIterable<Buffer> {
  const out = new PassThrough();
  const input = Readable.from(src);
  input.on("error", (err) => out.destroy(err));
  t.on("error", (err) => out.destroy(err));
  out.on("close", () => input.destroy());
  input.pipe(t).pipe(out);
  return out;
}

async function* unzstd(src: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  const { Decompress } = await import("fzstd");
  const out: Uint8Array[] = [];
  const d = new Decompress((chunk) => {
    out.push(chunk);
  });
  for await (const chunk of src) {
    d.push(chunk);
    while (out.length) yield out.shift()!;
  }
  d.push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

let xzFound: boolean | null = null;

/** Is there an `xz` to run (and not NATLENS_XZ=js)? Asked once per process. */
function systemXz(): boolean {
  if (process.env["NATLENS_XZ"] === "js") return false;
  xzFound ??= spawnSync("xz", ["--version"], { stdio: "ignore" }).status === 0;
  return xzFound;
}

/**
 * `xz -dc` in a child process: `src` is written to its stdin (waiting for the
 * pipe to drain, so memory stays bounded) while its stdout is read. Damage is
 * xz's own message; a consumer that stops early ends the child.
 */
async function* unxzSystem(src: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  const child = spawn("xz", ["-dc"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const exited = once(child, "close") as Promise<[number | null, string | null]>;
  let feedError: unknown = null;
  const feed = (async () => {
    try {
      for await (const c of src) {
        if (!child.stdin.write(c)) await Promise.race([once(child.stdin, "drain"), exited]);
        if (child.exitCode !== null || child.signalCode !== null) break;
      }
    } catch (err) {
      feedError = err;
    } finally {
      child.stdin.end();
    }
  })();
  // xz closing its stdin early (damage) is reported by its exit status, not as EPIPE
  child.stdin.on("error", () => {});
  let done = false;
  try {
    for await (const c of child.stdout as AsyncIterable<Buffer>) yield c;
    done = true;
  } finally {
    if (!done) child.kill();
    await feed;
  }
  const [code] = await exited;
  if (feedError) throw feedError;
  if (code !== 0) throw new Error(stderr.trim().replace(/^xz: \(stdin\): /, "") || `xz exited with status ${code}`);
}

async function* unxz(src: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  // a CommonJS (webpack) bundle: the class sits on the default export under ESM
  const mod = (await import("xz-decompress")) as unknown as { XzReadableStream?: typeof XzStream; default?: { XzReadableStream: typeof XzStream } };
  const XzReadableStream = mod.XzReadableStream ?? mod.default!.XzReadableStream;
  const it = src[Symbol.asyncIterator]();
  const input = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
  const reader = new XzReadableStream(input).getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      yield value;
    }
  } finally {
    // A consumer that stops early (a limit reached, a nested reader done) cancels the stream: that
    // ends its decoder and frees xz-decompress's one lock, which every later stream would wait for.
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * xz streams up to this compressed size are decoded in-process (WebAssembly):
 * starting `xz` costs more than decoding a host bundle of that size here
 * (measured by scripts/bench-archive.ts; under load a spawn also waits for
 * the scheduler), and a bigger one is decoded faster by `xz`.
 */
export const XZ_IN_PROCESS_BYTES = 1024 * 1024;

/** The decompressed bytes of `src`, counted against `budget`; `size`: the compressed size, when known. */
export async function* decompress(kind: CompressionKind, src: AsyncIterable<Buffer>, budget: Budget, size: number | null = null): AsyncGenerator<Buffer> {
  let plain: AsyncIterable<Uint8Array>;
  switch (kind) {
    case "gzip":
      plain = gunzip(src);
      break;
    case "bzip2": {
      const { default: unbzip2 } = await import("unbzip2-stream");
      plain = throughLegacy(src, unbzip2());
      break;
    }
    case "zstd":
      plain = unzstd(src);
      break;
    case "xz":
      plain = systemXz() && (size === null || size > XZ_IN_PROCESS_BYTES) ? unxzSystem(src) : unxz(src);
      break;
  }
  yield* counted(plain, budget);
}
