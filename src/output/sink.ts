/**
 * Where output goes: stdout or a file, through a buffer that is flushed in
 * large writes. Writes are synchronous (files, and stdout pipes on Linux), so
 * a large conversion never piles up output in memory. In --strict mode the
 * output is held back until the run has succeeded.
 */
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import type { Io } from "../io.js";
import type { Sink } from "./writers.js";

const FLUSH_AT = 1 << 20;

export interface Output {
  sink: Sink & { writeBytes(bytes: Uint8Array): void };
  close(): void;
  /** Drop everything (strict-mode failure). */
  discard(): void;
}

export function openOutput(io: Io, file: string | undefined, holdBack: boolean): Output {
  let pending = "";
  const held: (string | Uint8Array)[] = [];
  let fd: number | null = null;
  // A regular file is written under a temporary name and renamed at the end, so a
  // failed run never leaves half a file; /dev/null, FIFOs and such are written directly.
  let isRegular = true;
  try {
    isRegular = file ? statSync(file).isFile() : true;
  } catch {
    isRegular = true; // does not exist yet
  }
  const tmp = file ? (isRegular ? `${file}.natlens-tmp` : file) : null;
  /** Bytes given to writeBytes belong to the sink from then on, so they are written without a copy. */
  const emit = (data: string | Uint8Array) => {
    if (holdBack) held.push(data);
    else if (tmp !== null) {
      fd ??= openSync(tmp, "w");
      if (typeof data === "string") writeSync(fd, data);
      else writeSync(fd, data);
    } else io.stdout.write(typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  };
  const flush = () => {
    if (pending.length) emit(pending);
    pending = "";
  };
  return {
    sink: {
      write(text) {
        pending += text;
        if (pending.length >= FLUSH_AT) flush();
      },
      writeBytes(bytes) {
        flush();
        emit(bytes);
      },
    },
    close() {
      flush();
      if (holdBack) {
        holdBack = false;
        for (const t of held.splice(0)) emit(t);
      }
      if (tmp !== null) {
        fd ??= openSync(tmp, "w");
        closeSync(fd);
        if (tmp !== file) renameSync(tmp, file!);
      }
    },
    discard() {
      pending = "";
      held.length = 0;
      if (fd !== null) closeSync(fd);
      if (tmp !== null && tmp !== file) rmSync(tmp, { force: true });
    },
  };
}
