/**
 * Where output goes: stdout or a file, through a buffer that is flushed in
 * large writes. Writes are synchronous (files, and stdout pipes on Linux), so
 * a large conversion never piles up output in memory. In --strict mode the
 * output is held back until the run has succeeded.
 */
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import type { Io } from "../io.js";
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
  /** `data` is not kept past this call unless `owned` (text the sink built itself, or strings). */
  const emit = (data: string | Uint8Array, owned: boolean) => {
    if (holdBack) held.push(owned || typeof data === "string" ? data : Uint8Array.prototype.slice.call(data));
    else if (tmp !== null) {
      fd ??= openSync(tmp, "w");
      if (typeof data === "string") writeSync(fd, data);
      else writeSync(fd, data);
    } else if (typeof data === "string") io.stdout.write(data);
    else io.stdout.write(owned ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));
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
      if (tmp !== null) {
        fd ??= openSync(tmp, "w");
        closeSync(fd);
        if (tmp !== file) renameSync(tmp, file!);
      }
    },
    discard() {
      used = 0;
      held.length = 0;
      if (fd !== null) closeSync(fd);
      if (tmp !== null && tmp !== file) rmSync(tmp, { force: true });
    },
  };
}
