/**
 * Where output goes: stdout or a file, through a buffer that is flushed in
 * large writes. Writes are synchronous (files, and the CLI's stdout: fdWriter
 * in src/io.ts), so a large conversion never piles up output in memory. In
 * --strict mode the output is held back until the run has succeeded. A write
 * that fails throws OutputError; an -o path that cannot be written is a
 * UsageError when the output is opened.
 */
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { type Io, outputError, UsageError } from "../io.js";
import type { Sink } from "./writers.js";

const BUFFER_BYTES = 1 << 20;

export interface Output {
  sink: Sink & { writeBytes(bytes: Uint8Array): void };
  close(): void;
  /** Drop everything (strict-mode failure). */
  discard(): void;
}

export function openOutput(io: Io, file: string | undefined, holdBack: boolean): Output {
  /**
   * Text is encoded straight into one reused buffer, piece by piece: building
   * a large string first would leave a ~1 MB string per flush for the garbage
   * collector (measured: 250 MB of them writing a 108,000-flow JSON report).
   */
  const pending = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  const held: (string | Uint8Array)[] = [];
  // A regular file is written under a temporary name and renamed at the end, so a
  // failed run never leaves half a file; /dev/null, FIFOs and such are written directly.
  const tmp = file ? tempNameFor(file) : null;
  // opened now: a path that cannot be written is a usage error before any work is done
  let fd: number | null = tmp !== null ? openTarget(file!, tmp) : null;
  const target = file ?? "standard output";
  /** `data` is not kept past this call unless `owned` (text the sink built itself, or strings). */
  const emit = (data: string | Uint8Array, owned: boolean) => {
    if (holdBack) held.push(owned || typeof data === "string" ? data : Uint8Array.prototype.slice.call(data));
    else if (fd !== null) {
      try {
        if (typeof data === "string") writeSync(fd, data);
        else writeSync(fd, data);
      } catch (err) {
        drop();
        throw outputError(err, target);
      }
    } else if (typeof data === "string") io.stdout.write(data);
    else io.stdout.write(owned ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));
  };
  /** Close and remove the temporary file (a failed run leaves no half file). */
  const drop = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
    if (tmp !== null && tmp !== file) rmSync(tmp, { force: true });
  };
  const flush = () => {
    if (used) emit(pending.subarray(0, used), false);
    used = 0;
  };
  return {
    sink: {
      write(text) {
        // A UTF-16 code unit is at most 3 bytes of UTF-8.
        if (text.length * 3 > BUFFER_BYTES - used) {
          flush();
          if (text.length * 3 > BUFFER_BYTES) return emit(text, true);
        }
        used += pending.write(text, used);
      },
      writeBytes(bytes) {
        // the caller reuses `bytes` after this call: held-back output keeps a copy
        flush();
        emit(bytes, false);
      },
    },
    close() {
      flush();
      if (holdBack) {
        holdBack = false;
        for (const t of held.splice(0)) emit(t, true);
      }
      if (fd !== null) {
        try {
          closeSync(fd);
          fd = null;
          if (tmp !== file) renameSync(tmp!, file!);
        } catch (err) {
          drop();
          throw outputError(err, target);
        }
      }
    },
    discard() {
      used = 0;
      held.length = 0;
      drop();
    },
  };
}

/** The name written while the run goes on: `FILE.natlens-tmp` for a regular file (or a new one), FILE itself for a device or FIFO. */
function tempNameFor(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    return `${file}.natlens-tmp`; // does not exist yet
  }
  if (st.isDirectory()) throw new UsageError(`-o ${file} is a directory`, `name a file to write, e.g. -o ${path.join(file, "out.txt")}`);
  return st.isFile() ? `${file}.natlens-tmp` : file;
}

/** Open the output file (or its temporary name) for writing; a path that cannot be written is a UsageError. */
function openTarget(file: string, tmp: string): number {
  try {
    return openSync(tmp, "w");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const dir = path.dirname(file);
    if (code === "ENOENT") throw new UsageError(`-o ${file}: directory ${dir} does not exist`, `create it first (mkdir -p ${dir}) or write somewhere else`);
    if (code === "ENOTDIR") throw new UsageError(`-o ${file}: ${dir} is not a directory`, "check the path");
    if (code === "EISDIR") throw new UsageError(`-o ${file} is a directory`, `name a file to write, e.g. -o ${path.join(file, "out.txt")}`);
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw new UsageError(`-o ${file}: cannot create ${tmp === file ? "it" : tmp} (${code === "EROFS" ? "read-only file system" : "permission denied"})`, `write to a directory you can write to, or to stdout`);
    throw outputError(err, file);
  }
}
